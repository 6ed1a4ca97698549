using System.Globalization;
using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Cli;

/// <summary>
/// Positional arguments and <c>--name value</c> / <c>--name=value</c> options. Each command declares the
/// options it knows and which of them are flags; anything else is a usage error (exit code 2).
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private Arguments(string command)
    {
        Command = command;
    }

    public string Command { get; }

    public List<string> Positional { get; } = [];

    public static Arguments Parse(string command, IEnumerable<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        var parsed = new Arguments(command);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                parsed.Positional.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            if (flags.Contains(name))
            {
                parsed._options[name] = value ?? "true";
                continue;
            }

            if (!options.Contains(name))
            {
                throw new TrainerInputException($"{command}: unknown option --{name} (see lora-train {command} --help)");
            }

            if (value is null)
            {
                if (!e.MoveNext())
                {
                    throw new TrainerInputException($"{command}: option --{name} needs a value");
                }

                value = e.Current;
            }

            parsed._options[name] = value;
        }

        return parsed;
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Text(string name) => _options.GetValueOrDefault(name);

    public bool Flag(string name) => _options.TryGetValue(name, out var v) && v is "true" or "1" or "yes";

    public int? Int(string name) => Text(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(name, s, "an integer")
        : null;

    public long? Long(string name) => Text(name) is { } s
        ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(name, s, "an integer")
        : null;

    public double? Double(string name) => Text(name) is { } s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(name, s, "a number")
        : null;

    public string Single(string what)
    {
        if (Positional.Count != 1)
        {
            throw new TrainerInputException($"{Command}: expected one {what}, got {Positional.Count} (see lora-train {Command} --help)");
        }

        return Positional[0];
    }

    public string Required(string name) =>
        Text(name) ?? throw new TrainerInputException($"{Command}: --{name} is required (see lora-train {Command} --help)");

    private TrainerInputException Bad(string name, string value, string kind) => new($"{Command}: --{name} {value} is not {kind}");
}
