namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// The errors of the line being checked. Collected apart from the batch so that they can be dropped when the
/// line turns out not to be JSON at all: then one <c>invalid_json</c> says more than half-parsed findings.
/// </summary>
internal sealed class LineIssues
{
    private readonly List<ValidationIssue> _errors = [];

    public long LineNumber { get; private set; }

    public bool Any => _errors.Count > 0;

    public IReadOnlyList<ValidationIssue> Errors => _errors;

    public void StartLine(long lineNumber)
    {
        LineNumber = lineNumber;
        _errors.Clear();
    }

    public void Clear() => _errors.Clear();

    public void Add(string code, string message, string suggestion) =>
        _errors.Add(new ValidationIssue(LineNumber, code, message, suggestion));
}
