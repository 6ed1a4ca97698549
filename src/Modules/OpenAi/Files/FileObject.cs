using LoraPipeline.Datasets.Contracts;

namespace LoraPipeline.OpenAi.Files;

/// <summary>
/// OpenAI's file object. A dataset is <c>uploaded</c> while it is validated, <c>processed</c> when it can be
/// trained on, <c>error</c> when validation failed, with the first errors in <c>status_details</c>.
/// </summary>
internal sealed record FileObject(
    string Id, long Bytes, long CreatedAt, string Filename, string Purpose, string Status, string? StatusDetails, long? ExpiresAt)
{
    public const string FineTune = "fine-tune";
    public const string FineTuneResults = "fine-tune-results";

    public string Object => "file";

    public static FileObject From(DatasetFile file) => new(
        OpenAiIds.ForFile(file.Id), file.Bytes, OpenAiIds.Unix(file.CreatedAt), file.FileName, FineTune, StatusOf(file.Status),
        file.Status == "error" ? Details(file) : null, null);

    public static string StatusOf(string datasetStatus) => datasetStatus switch
    {
        "ready" => "processed",
        "error" => "error",
        _ => "uploaded",
    };

    private static string Details(DatasetFile file) =>
        $"Validation found {file.ErrorCount} error(s): {string.Join("; ", file.FirstErrors)}" +
        (file.ErrorCount > file.FirstErrors.Count ? $"; see GET /api/datasets/{file.Id}/errors for all of them." : ".");
}

internal sealed record FileDeleted(string Id, bool Deleted)
{
    public string Object => "file";
}
