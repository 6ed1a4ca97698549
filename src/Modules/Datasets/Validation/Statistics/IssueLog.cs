namespace LoraPipeline.Datasets.Validation;

/// <summary>Keeps the first issues and counts all of them by code, in bounded memory.</summary>
internal sealed class IssueLog(int keep)
{
    private readonly List<ValidationIssue> _first = [];
    private readonly Dictionary<string, long> _countsByCode = new(StringComparer.Ordinal);

    public long Total { get; private set; }

    public IReadOnlyList<ValidationIssue> First => _first;

    public IReadOnlyDictionary<string, long> CountsByCode => _countsByCode;

    public void Add(ValidationIssue issue)
    {
        Total++;
        _countsByCode[issue.Code] = _countsByCode.GetValueOrDefault(issue.Code) + 1;
        if (_first.Count < keep)
        {
            _first.Add(issue);
        }
    }
}
