using Xunit;
using System.Diagnostics;

namespace LoraPipeline.SlurmGateway.Tests;

/// <summary>
/// The local Slurm cluster of scripts/slurm.sh, started once per test run (idempotent: a running one is reused),
/// and the trainer with its tiny base model built once. Tests skip only when the script says Slurm cannot be
/// installed here (exit code 3); any other failure fails them.
/// </summary>
public static class SlurmCluster
{
    private static readonly Lazy<Environment> Started = new(Start);

    public sealed record Environment(string RestUrl, string User, string TokenFile, string JobRoot, string TinyModel, string Trainer, string? Unavailable)
    {
        public string BrokenModel => Path.Combine(RepositoryRoot, ".data/slurm/models/broken");
    }

    public static Environment Current => Started.Value;

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new ProcessFailedException(process.ExitCode, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}{stdout.Result}");
        }

        return stdout.Result;
    }

    public static string Scontrol(params string[] args) => Run("/usr/bin/env", ["SLURM_CONF=" + Path.Combine(RepositoryRoot, ".data/slurm/etc/slurm.conf"), "scontrol", .. args]);

    /// <summary>
    /// Stops slurmctld as an operator's restart would (SIGTERM: it saves its state) and waits until it is gone;
    /// running jobs stay with slurmd meanwhile.
    /// </summary>
    public static void StopController()
    {
        var pid = File.ReadAllText(Path.Combine(RepositoryRoot, ".data/slurm/run/slurmctld.pid")).Trim();
        Run("/bin/kill", "-TERM", pid);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists("/proc/" + pid) && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("slurmctld did not stop within 30 s");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Starts again whatever daemon is down (the script starts only those) and waits until Slurm answers.</summary>
    public static void StartStopped() => Run(Path.Combine(RepositoryRoot, "scripts/slurm.sh"));

    private static Environment Start()
    {
        string envFile;
        try
        {
            envFile = Run(Path.Combine(RepositoryRoot, "scripts/slurm.sh")).Trim().Split('\n')[^1];
        }
        catch (ProcessFailedException e) when (e.ExitCode == 3)
        {
            return new Environment("", "", "", "", "", "", "Slurm cannot be installed on this machine: " + e.Message);
        }

        var values = File.ReadAllLines(envFile).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var tiny = Path.Combine(RepositoryRoot, ".data/slurm/models/tiny-llama");
        if (!File.Exists(Path.Combine(tiny, "config.json")))
        {
            Run(Path.Combine(RepositoryRoot, "lora-train"), "tiny-model", tiny); // builds the trainer too
        }
        else
        {
            Run(Path.Combine(RepositoryRoot, "lora-train"), "--help"); // rebuilds a stale trainer
        }

        // a base model the trainer refuses at once: the crashing-trainer case
        var broken = Path.Combine(RepositoryRoot, ".data/slurm/models/broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\"}");

        return new Environment(values["SLURM_REST_URL"], values["SLURM_USER"], values["SLURM_TOKEN_FILE"], values["SLURM_JOB_ROOT"], tiny,
            Path.Combine(RepositoryRoot, "src/Trainer/bin/Release/net10.0/linux-x64/lora-train.dll"), null);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LoraPipeline.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("LoraPipeline.sln not found above " + AppContext.BaseDirectory);
    }

    public sealed class ProcessFailedException(int exitCode, string message) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }
}

/// <summary>A test that needs the local Slurm cluster: skipped (with the script's reason) only when Slurm cannot be installed.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.Current.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
