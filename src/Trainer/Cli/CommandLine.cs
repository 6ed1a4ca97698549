using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Cli;

/// <summary>The <c>lora-train</c> verbs, and the one place that turns failures into exit codes.</summary>
public static class CommandLine
{
    private const string Usage = """
        lora-train: LoRA fine-tuning of Llama/Mistral-family checkpoints (TorchSharp)
        usage: lora-train <command> [options]     (lora-train <command> --help for its options)
          train        train an adapter: --base DIR --data FILE --out DIR
          job DIR      train from a job folder (job.json + dataset.jsonl), writing into it
          generate     greedy reply from a base model, with or without an adapter
          tiny-model   write a small random Llama checkpoint with a real tokenizer
          bench        throughput and model FLOP utilisation for a SmolLM-135M-shaped model
        exit codes: 0 done, 1 failure, 2 usage or input error, 75 interrupted (checkpoint saved; run again to resume)
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.InputError : ExitCodes.Success;
        }

        var rest = args[1..];
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            Console.WriteLine(args[0] switch
            {
                "train" => TrainCommand.TrainUsage,
                "job" => TrainCommand.JobUsage + TrainCommand.TrainUsage,
                "generate" => GenerateCommand.Usage,
                "tiny-model" => TinyModelCommand.Usage,
                "bench" => BenchCommand.Usage,
                _ => Usage,
            });
            return ExitCodes.Success;
        }

        try
        {
            return args[0] switch
            {
                "train" => TrainCommand.Train(rest),
                "job" => TrainCommand.Job(rest),
                "generate" => GenerateCommand.Run(rest),
                "tiny-model" => TinyModelCommand.Run(rest),
                "bench" => BenchCommand.Run(rest),
                _ => throw new TrainerInputException($"unknown command {args[0]}; commands: train, job, generate, tiny-model, bench"),
            };
        }
        catch (TrainerInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.InputError;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // one clear line first; the details after it for a bug report
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            return ExitCodes.Failure;
        }
    }
}
