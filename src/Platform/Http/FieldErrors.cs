using System.Globalization;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Validation problems by field (snake_case paths such as "hyperparameters.batch_size"), gathered
/// so that a client learns every problem of a request at once. Answered as the problem
/// document's <c>details</c>.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    public void RequireRange(string field, int value, (int Min, int Max) range)
    {
        if (value < range.Min || value > range.Max)
        {
            Add(field, $"must be between {range.Min} and {range.Max} (got {value})");
        }
    }

    public void RequireRange(string field, decimal value, (decimal Min, decimal Max) range)
    {
        if (value < range.Min || value > range.Max)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture,
                $"must be between {range.Min} and {range.Max} (got {value})"));
        }
    }

    public void RequireText(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required");
        }
        else if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters (got {value.Length})");
        }
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public string Summary() => string.Join("; ", _errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"));
}
