using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text;
using LoraPipeline.Cli;

// Tables, sparklines and bars are Unicode; a pipe or a file gets UTF-8 too.
Console.OutputEncoding = new UTF8Encoding(false);

var root = LoraCommand.Build();
var parse = root.Parse(args);

// System.CommandLine answers a parse error with exit code 1, which here means "a request or a job
// failed": a script must be able to tell a wrong command line (2) from a failure.
if (parse.Action is ParseErrorAction)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine("error: " + error.Message);
    }

    Console.Error.WriteLine($"Usage: {CommandPath(parse.CommandResult)} --help");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync(new InvocationConfiguration
{
    // Ctrl+C cancels the command's token (following stops, a download keeps its .part file); give it time to say so
    ProcessTerminationTimeout = TimeSpan.FromSeconds(5),
});

static string CommandPath(CommandResult result)
{
    var names = new List<string>();
    for (SymbolResult? current = result; current is not null; current = current.Parent)
    {
        if (current is CommandResult command)
        {
            names.Insert(0, command.Parent is null ? "lora" : command.Command.Name);
        }
    }

    return string.Join(' ', names);
}
