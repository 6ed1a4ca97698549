namespace LoraPipeline.Trainer;

/// <summary>The program's exit codes (documented in README.md).</summary>
public static class ExitCodes
{
    /// <summary>Done: trained (or already completed), generated, written.</summary>
    public const int Success = 0;

    /// <summary>Any other failure (out of memory, a bug, a disk that filled up).</summary>
    public const int Failure = 1;

    /// <summary>Usage or input error: unknown option, unknown architecture, missing file or shard, unreadable dataset.</summary>
    public const int InputError = 2;

    /// <summary>EX_TEMPFAIL: stopped by SIGTERM/SIGINT, checkpoint saved, run again to resume.</summary>
    public const int Interrupted = 75;
}
