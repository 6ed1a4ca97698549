using LoraPipeline.Trainer.Cli;

return CommandLine.Run(args);
