using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LoraPipeline.Cli.Rendering;

/// <summary>
/// Where a command writes and how. stdout carries the result (tables, or with --json the API's data
/// and nothing else); stderr carries errors and, with --json, the notes a person would want.
/// Colour only on a terminal without NO_COLOR (https://no-color.org); progress bars and live views
/// only when stdout is a terminal; prompts only when stdin is one too.
/// </summary>
public sealed class Terminal
{
    private readonly TextWriter _out;
    private readonly TextWriter _error;

    public Terminal(bool json, TextWriter? output = null, TextWriter? error = null)
    {
        Json = json;
        _out = output ?? Console.Out;
        _error = error ?? Console.Error;
        var dumb = string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        Live = !Console.IsOutputRedirected && !dumb && output is null;
        Color = Live && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        CanPrompt = !Console.IsInputRedirected && !Console.IsErrorRedirected; // questions go to stderr
        Out = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Live ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(json ? _error : _out),
        });
        if (!Live)
        {
            // a file or a pipe has no width: wide enough for a table of ids without wrapping them
            Out.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 40 ? columns : 200;
        }
    }

    /// <summary>--json: stdout gets the API's data only.</summary>
    public bool Json { get; }

    /// <summary>stdout is a terminal: progress bars, live views, cursor movement.</summary>
    public bool Live { get; }

    /// <summary>Colour: a terminal, and NO_COLOR unset.</summary>
    public bool Color { get; }

    /// <summary>A person can answer a question: stdin and stderr (where questions go) are both a terminal.</summary>
    public bool CanPrompt { get; }

    /// <summary>Spectre's console for the human output (stderr under --json, so stdout stays one JSON document).</summary>
    public IAnsiConsole Out { get; }

    /// <summary>The API's data exactly as it came, as one document on one line.</summary>
    public void WriteJson(JsonElement data) => _out.WriteLine(OneLine(data));

    public static string OneLine(JsonElement data)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            data.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Human output (skipped under --json: the JSON is the output).</summary>
    public void Render(IRenderable renderable)
    {
        if (!Json)
        {
            Out.Write(renderable);
        }
    }

    /// <summary>A line of human output, with Spectre markup when colour is on (escaped text otherwise shows as is).</summary>
    public void Line(string markup = "")
    {
        if (Json)
        {
            return;
        }

        if (Color)
        {
            Out.MarkupLine(markup);
        }
        else
        {
            _out.WriteLine(Markup.Remove(markup));
        }
    }

    /// <summary>A plain line of human output (never markup); a pipe sees it unwrapped.</summary>
    public void Plain(string text)
    {
        if (!Json)
        {
            _out.WriteLine(text);
        }
    }

    /// <summary>Something a person should see even under --json (to stderr then): what is going on, what comes next.</summary>
    public void Note(string text)
    {
        if (Json)
        {
            _error.WriteLine(text);
        }
        else if (Color)
        {
            Out.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
        }
        else
        {
            _out.WriteLine(text);
        }
    }

    public void Error(string text)
    {
        if (Color && !Console.IsErrorRedirected)
        {
            var lines = text.Split('\n');
            _error.WriteLine($"\u001b[31merror:\u001b[0m {lines[0]}");
            foreach (var line in lines.Skip(1))
            {
                _error.WriteLine(line);
            }
        }
        else
        {
            _error.WriteLine("error: " + text);
        }
    }

    /// <summary>A y/N question; only asked when a person can answer it (callers check <see cref="CanPrompt"/>).</summary>
    public bool Confirm(string question)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), ColorSystem = Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors });
        return console.Prompt(new ConfirmationPrompt(question) { DefaultValue = false });
    }

    /// <summary>Reads a secret with hidden input (nothing echoed), the prompt on stderr.</summary>
    public string Secret(string prompt)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), ColorSystem = Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors });
        return console.Prompt(new TextPrompt<string>(prompt).Secret(null));
    }

    public static string Esc(string? text) => Markup.Escape(text ?? "");
}
