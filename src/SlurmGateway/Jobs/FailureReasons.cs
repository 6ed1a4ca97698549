using LoraPipeline.SlurmGateway.Slurm;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>A sentence for a failed Slurm job: Slurm's state and exit code, then the trainer's own error or the tail of its error output.</summary>
internal static class FailureReasons
{
    public static string Explain(SlurmJob slurm, TrainerProgress progress, string folder)
    {
        // exit_code is the raw wait status: the exit code in the high byte, a killing signal in the low bits
        var exit = (slurm.ExitCode >> 8) & 0xff;
        var signal = slurm.ExitCode & 0x7f;
        var what = slurm.JobState switch
        {
            "TIMEOUT" => "Slurm stopped the job at its time limit",
            "OUT_OF_MEMORY" => "the job ran out of memory",
            "COMPLETED" => "the trainer ended without writing an adapter",
            "BOOT_FAIL" => "the node failed to boot",
            "DEADLINE" => "the job reached its deadline",
            _ when exit == 75 => "the trainer was stopped by a signal (its time limit is near) after saving a checkpoint",
            _ when signal != 0 => $"the trainer was killed by signal {signal}",
            _ => $"the trainer exited with code {exit}",
        };
        var detail = progress.FailedError ?? Tail(Path.Combine(folder, $"slurm-{slurm.JobId}.err"));
        return $"Slurm job {slurm.JobId} {slurm.JobState}: {what}" + (string.IsNullOrWhiteSpace(detail) ? "." : $": {detail}");
    }

    /// <summary>The last few non-blank lines of the error output, at most 600 characters.</summary>
    private static string? Tail(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        // the trainer prints "error: ..." first, then a stack trace: the error line says what happened
        var error = lines.FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal));
        var text = error ?? string.Join(" | ", lines.TakeLast(4));
        return text.Length > 600 ? text[^600..] : text;
    }
}
