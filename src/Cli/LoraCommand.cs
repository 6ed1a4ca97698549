using System.CommandLine;
using LoraPipeline.Cli.Commands;

namespace LoraPipeline.Cli;

/// <summary>The command tree of <c>lora</c>.</summary>
public static class LoraCommand
{
    public static RootCommand Build()
    {
        var root = new RootCommand(Help.Text(
            "lora: the LoraPipeline command line. Upload JSONL chat datasets, see what training costs, train LoRA adapters, follow them live, download the models.\n\n" +
            "Sign in once with lora login; LORA_URL and LORA_API_KEY override the stored login. --json prints the API's data for scripts.\n" +
            "Exit codes: 0 ok; 1 a request failed, or the job failed or was cancelled; 2 the command line is wrong (or needs --yes); 130 Ctrl+C.",
            "lora login --url http://127.0.0.1:5080",
            "lora datasets upload support.jsonl --name \"Support chats\"",
            "lora train --dataset 9aeb… --preset balanced --follow",
            "lora models download 3f2a…"));
        root.Options.Add(GlobalOptions.Json);
        Help.AddExamples(root);
        foreach (var command in AccountCommands.Build()
                     .Append(DatasetsCommands.Build())
                     .Concat(TrainingCommands.Build())
                     .Append(JobsCommands.Build())
                     .Append(ModelsCommands.Build())
                     .Concat(MoneyCommands.Build()))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
