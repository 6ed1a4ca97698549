using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace LoraPipeline.Cli.Commands;

/// <summary>
/// Every command's --help ends with examples. They are kept beside the description, keyed by it, so
/// that a command is still declared in one expression (<c>new Command(name, Help.Text(...)) { options }</c>)
/// and the lists of subcommands show the description alone.
/// </summary>
public static class Help
{
    private static readonly Dictionary<string, string[]> Examples = new(StringComparer.Ordinal);

    public static string Text(string description, params string[] examples)
    {
        Examples[description] = examples;
        return description;
    }

    /// <summary>System.CommandLine's own help, then an "Examples:" section (its help layout is not public: this wraps its action).</summary>
    public static void AddExamples(RootCommand root)
    {
        foreach (var option in root.Options.OfType<HelpOption>())
        {
            if (option.Action is HelpAction inner)
            {
                option.Action = new ExamplesHelpAction(inner);
            }
        }
    }

    private sealed class ExamplesHelpAction(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = inner.Invoke(parseResult);
            var command = parseResult.CommandResult.Command;
            if (command.Description is { } description && Examples.TryGetValue(description, out var examples) && examples.Length > 0)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(examples.Length == 1 ? "Example:" : "Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine("  " + example);
                }

                output.WriteLine();
            }

            return result;
        }
    }
}
