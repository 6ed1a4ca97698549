using System.CommandLine;
using LoraPipeline.Cli.Rendering;

namespace LoraPipeline.Cli.Commands;

/// <summary>
/// The (y/N) question before a command spends money or removes something. --yes answers it; with
/// nobody at a terminal to answer and no --yes the command refuses rather than hang or assume.
/// </summary>
public static class Confirmation
{
    public static Option<bool> YesOption(string description) => new("--yes", "-y") { Description = description };

    public static void Require(Terminal terminal, bool yes, string question)
    {
        if (yes)
        {
            return;
        }

        if (!terminal.CanPrompt)
        {
            throw new CliException($"Not done: there is no terminal to answer \"{question}\" (stdin or stderr is redirected). Add --yes to go ahead.", ExitCodes.Usage);
        }

        if (!terminal.Confirm(question))
        {
            throw new CliException("Not confirmed: nothing was done.", ExitCodes.Failed);
        }
    }
}
