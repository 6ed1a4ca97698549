namespace LoraPipeline.Artifacts.Contracts;

/// <summary>
/// Published fact, on the artifact's stream: a completed job's files could not be collected in any
/// attempt. The model stays, marked failed, with the files stored so far; the user can retry
/// (<c>POST /api/models/{id}/collect</c>). Billing notifies the user.
/// </summary>
public sealed record ModelCollectionFailed(Guid ArtifactId, Guid JobId, Guid UserId, string Name, int Attempts, string Reason, DateTimeOffset At);
