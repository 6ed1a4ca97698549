using System.Globalization;
using System.Text.RegularExpressions;

namespace LoraPipeline.Training.Configuration;

/// <summary>
/// Base model sizes in billions of parameters, for the estimate's throughput rule (training work grows with
/// parameters × tokens, and the GPU catalogue's throughputs are for a 7B model). The size is the one in the
/// model's name ("…-7B-…", "…-1.1B-…"), as the model families name it; a name without one counts as 7B.
/// </summary>
internal static partial class BaseModelSizes
{
    public const decimal ReferenceBillions = 7m;

    public static decimal BillionsOf(string? baseModel)
    {
        if (baseModel is not null && SizeInName().Match(baseModel) is { Success: true } match
            && decimal.TryParse(match.Groups["b"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var billions)
            && billions > 0)
        {
            return billions;
        }

        return ReferenceBillions;
    }

    [GeneratedRegex(@"(?<![0-9.])(?<b>[0-9]+(\.[0-9]+)?)[bB](?![a-zA-Z])")]
    private static partial Regex SizeInName();
}
