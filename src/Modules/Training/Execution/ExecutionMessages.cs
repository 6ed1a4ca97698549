using LoraPipeline.Training.GpuCluster;

namespace LoraPipeline.Training.Execution;

/// <summary>Submit attempt <paramref name="Attempt"/> of a job (1 right after queuing).</summary>
public sealed record SubmitTrainingJob(Guid JobId, int Attempt);

/// <summary>Poll <paramref name="PollNumber"/> of a running job; each poll schedules the next.</summary>
public sealed record PollTrainingJob(Guid JobId, int PollNumber);

/// <summary>A report the cluster pushed to our callback endpoint.</summary>
public sealed record ApplyClusterReport(Guid JobId, ClusterJobStatus Status);

/// <summary>Ask the cluster to stop a job we cancelled (best effort, retried).</summary>
public sealed record CancelOnCluster(Guid JobId, string ExternalJobId);

/// <summary>Ask the cluster to save a checkpoint and release the job's GPUs (retried while it is unreachable).</summary>
public sealed record PauseOnCluster(Guid JobId, string ExternalJobId);

/// <summary>
/// Ask the cluster to restart a paused or recovering job from its latest checkpoint (retried while it is
/// unreachable). <paramref name="Recovery"/> is the recovery it starts (0 for a user's resume).
/// </summary>
public sealed record ResumeOnCluster(Guid JobId, string ExternalJobId, int Recovery);
