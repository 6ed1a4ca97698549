namespace LoraPipeline.Artifacts.Contracts;

/// <summary>
/// Published fact, on the artifact's stream: a trained adapter is stored and can be downloaded.
/// Billing records its storage cost and notifies the user.
/// </summary>
public sealed record ArtifactReady(Guid ArtifactId, Guid JobId, Guid UserId, string Name, int OverallScore, long StoredBytes, bool Flagged, DateTimeOffset At);
