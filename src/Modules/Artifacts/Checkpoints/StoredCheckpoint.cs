using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform;

namespace LoraPipeline.Artifacts.Checkpoints;

/// <summary>
/// A checkpoint's adapter files, copied from the cluster into the lora-models bucket the first time someone asks
/// for them ({user}/{job}/checkpoints/step-{N}/{file}), each checked against the cluster's SHA-256. Later
/// downloads use the copy, so a checkpoint the cluster has since dropped still downloads.
/// </summary>
public sealed class StoredCheckpoint
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public int Step { get; set; }
    public List<ArtifactFile> Files { get; set; } = [];
    public DateTimeOffset StoredAt { get; set; }

    public static Guid IdFor(Guid jobId, int step) => DeterministicGuid.From("checkpoint", jobId.ToString(), step.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string FilePath(Guid userId, Guid jobId, int step, string fileName) =>
        $"{userId}/{jobId}/checkpoints/step-{step.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{fileName}";
}
