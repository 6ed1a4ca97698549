namespace LoraPipeline.Cli;

/// <summary>
/// The exit codes of every command (documented in README.md): scripts branch on them, so they never
/// change meaning.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A request the server refused or could not be made, a job that failed or was cancelled, a checksum that did not match.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself is wrong (System.CommandLine's parse errors), or it needs a terminal or --yes to go on.</summary>
    public const int Usage = 2;

    /// <summary>Ctrl+C (128 + SIGINT, the shell's convention): the command stopped; a job being followed goes on.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure with a sentence for the user (what happened and what to change) and its exit code.</summary>
public class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
