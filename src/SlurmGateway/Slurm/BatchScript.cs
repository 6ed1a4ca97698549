using System.Text;

namespace LoraPipeline.SlurmGateway.Slurm;

/// <summary>
/// The batch script of every job. Nothing from a request reaches it: the job folder arrives in the environment
/// (LORA_JOB_DIR, a path the gateway builds from a parsed job id), the hyperparameters in job.json, which the
/// trainer parses as JSON. The only variable text is the configured trainer command, each word single-quoted.
/// </summary>
internal static class BatchScript
{
    public static string For(IReadOnlyList<string> trainerCommand, IReadOnlyList<string> trainerArguments)
    {
        var script = new StringBuilder();
        script.Append("#!/bin/bash\n");
        script.Append("# Written by the LoraPipeline Slurm gateway. Job settings are in $LORA_JOB_DIR/job.json.\n");
        script.Append("set -u\n");
        script.Append("umask 077\n"); // the job folder is the job owner's alone
        script.Append("cd \"$LORA_JOB_DIR\" || exit 1\n");
        // exec: the trainer is the batch step itself, so Slurm's SIGTERM (cancel, requeue, time limit) reaches it directly
        script.Append("exec ").Append(string.Join(' ', trainerCommand.Select(Quote))).Append(" job \"$LORA_JOB_DIR\"");
        foreach (var argument in trainerArguments)
        {
            script.Append(' ').Append(Quote(argument));
        }

        script.Append('\n');
        return script.ToString();
    }

    /// <summary>A word for bash: single quotes, with any single quote closed, escaped and reopened.</summary>
    internal static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
