using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Http;
using Wolverine.Marten;
using Wolverine.Runtime.Handlers;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Pause and resume, local first like a cancel: the job is paused here at once (it stops accruing cost) and the
/// cluster is told through the outbox, retried while it is unreachable; the cluster's own accounting, read by
/// the next polls, says what the GPUs really used until it stopped.
/// </summary>
public static class JobPausing
{
    public const string ByUser = "Paused by the user.";

    /// <summary>Why the job cannot be paused now, or null when it can.</summary>
    public static string? Refusal(TrainingJob job) => job switch
    {
        { Status: not JobStatus.Running } => $"Only a running job can be paused; this job is '{JobStatuses.Name(job.Status)}'.",
        { CurrentStage: "resuming" } => "The job is resuming; pause it once it runs again.",
        // a v2 cluster reports its attempts and GPU time from the first poll; one that never did cannot pause
        { ReportedUsage: null } => "The GPU cluster has not reported this job's GPU time yet, so it may not be able to pause it (cluster contract v2); try again in a minute.",
        // clusters pause a job that has GPUs, not one still waiting for them (Slurm's PENDING): a pause sent now would be
        // refused until its retries gave up, and the job would show paused while the cluster went on to start it
        { CurrentStage: "queued" } => "The GPU cluster has not started this job yet (it is queued there, waiting for GPUs), so there is nothing to pause; pause it once it runs, or cancel it.",
        _ => null,
    };

    public static (Events, OutgoingMessages) Pause(TrainingJob job, string reason, DateTimeOffset now) =>
        ([new TrainingJobPaused(job.Id, job.Attempt, job.CurrentStep, JobCost.At(job, now).Total, reason, now)],
         [new PauseOnCluster(job.Id, job.ExternalJobId!)]);

    public static (Events, OutgoingMessages) Resume(TrainingJob job, DateTimeOffset now) =>
        ([new TrainingJobResumeRequested(job.Id, now)], [new ResumeOnCluster(job.Id, job.ExternalJobId!, Recovery: 0)]);
}

public static class PauseJobEndpoint
{
    public static ProblemDetails Validate(TrainingJob? job) =>
        job is null ? ApiProblems.NotFound("Job").ToProblemDetails()
        : JobPausing.Refusal(job) is { } refusal ? ApiProblems.Conflict("Job cannot be paused", refusal, new { status = JobStatuses.Name(job.Status) }).ToProblemDetails()
        : WolverineContinue.NoProblems;

    /// <summary>Pause a running job: it saves a checkpoint on the cluster, releases the GPUs and costs nothing until resumed (202).</summary>
    [WolverinePost("/api/jobs/{id}/pause", OperationId = "PauseJob"), Tags("Jobs")]
    [ProducesResponseType<ApiResponse<JobView>>(StatusCodes.Status202Accepted)]
    public static (IResult, Events, OutgoingMessages) Pause(
        Guid id, [WriteAggregate("id", Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job, TimeProvider clock)
    {
        var (events, messages) = JobPausing.Pause(job!, JobPausing.ByUser, clock.GetUtcNow());
        return (ReadAfterCommit.Accepted<TrainingJob, JobView>(id, JobView.From), events, messages);
    }
}

public static class ResumeJobEndpoint
{
    public static ProblemDetails Validate(TrainingJob? job) =>
        job is null ? ApiProblems.NotFound("Job").ToProblemDetails()
        : job.Status is not JobStatus.Paused
            ? ApiProblems.Conflict("Job cannot be resumed", $"Only a paused job can be resumed; this job is '{JobStatuses.Name(job.Status)}'.",
                new { status = JobStatuses.Name(job.Status) }).ToProblemDetails()
            : WolverineContinue.NoProblems;

    /// <summary>Resume a paused job from its checkpoint, as a new attempt on the cluster (202).</summary>
    [WolverinePost("/api/jobs/{id}/resume", OperationId = "ResumeJob"), Tags("Jobs")]
    [ProducesResponseType<ApiResponse<JobView>>(StatusCodes.Status202Accepted)]
    public static (IResult, Events, OutgoingMessages) Resume(
        Guid id, [WriteAggregate("id", Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job, TimeProvider clock)
    {
        var (events, messages) = JobPausing.Resume(job!, clock.GetUtcNow());
        return (ReadAfterCommit.Accepted<TrainingJob, JobView>(id, JobView.From), events, messages);
    }
}

/// <summary>The budget's hard limit, when it pauses rather than cancels: a running job is paused, any other left as it is.</summary>
public static class PauseTrainingJobHandler
{
    public static (Events, OutgoingMessages) Handle(
        PauseTrainingJob command,
        [WriteAggregate(nameof(PauseTrainingJob.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        TimeProvider clock) =>
        job is not null && JobPausing.Refusal(job) is null ? JobPausing.Pause(job, command.Reason, clock.GetUtcNow()) : ([], []);
}

/// <summary>Tells the cluster to pause or resume; retried with back-off while it is unreachable, then given up (the polls go on).</summary>
public static class LifecycleOnClusterHandler
{
    public static void Configure(HandlerChain chain) =>
        chain.OnException<ClusterUnavailableException>()
            .ScheduleRetry(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10))
            .Then.Discard();

    public static async Task Handle(
        PauseOnCluster command, IQuerySession session, GpuClusterClient cluster, ILogger<GpuClusterClient> logger, CancellationToken ct)
    {
        if (StillWanted(await session.LoadAsync<TrainingJob>(command.JobId, ct), pause: true))
        {
            Outcome(await cluster.PauseAsync(command.ExternalJobId, ct), "pause", command.JobId, logger);
        }
        else
        {
            logger.LogInformation("Job {JobId} is no longer paused here; its pause is not sent to the GPU cluster", command.JobId);
        }
    }

    public static async Task Handle(
        ResumeOnCluster command, IQuerySession session, GpuClusterClient cluster, ILogger<GpuClusterClient> logger, CancellationToken ct)
    {
        if (StillWanted(await session.LoadAsync<TrainingJob>(command.JobId, ct), pause: false))
        {
            Outcome(await cluster.ResumeAsync(command.ExternalJobId, ct), command.Recovery > 0 ? $"resume (recovery {command.Recovery})" : "resume",
                command.JobId, logger);
        }
        else
        {
            logger.LogInformation("Job {JobId} is paused again or has ended; its resume is not sent to the GPU cluster", command.JobId);
        }
    }

    /// <summary>
    /// A retry comes seconds or minutes after its call was decided (a cluster still starting a job answers 409 to a
    /// pause, retried at 1 s, 5 s, 30 s…): by then the user may have resumed, paused again or cancelled. A pause is
    /// sent only while the job is paused here, a resume only while it is not paused and has not ended, so a late
    /// retry never undoes a later choice (a pause retried after a resume once paused the job for good).
    /// </summary>
    internal static bool StillWanted(TrainingJob? job, bool pause) => job is { IsActive: true } && (job.Status == JobStatus.Paused) == pause;

    private static void Outcome(ClusterCall<ClusterLifecycleAnswer> answer, string what, Guid jobId, ILogger logger)
    {
        switch (answer)
        {
            case ClusterCall<ClusterLifecycleAnswer>.Transient transient:
                throw new ClusterUnavailableException(transient.Reason);
            case ClusterCall<ClusterLifecycleAnswer>.Refused refused:
                // the job ended meanwhile (409) or the cluster cannot do it: the next poll tells the job's real state
                logger.LogWarning("The GPU cluster refused to {What} job {JobId}: {Reason}", what, jobId, refused.Reason);
                break;
            case ClusterCall<ClusterLifecycleAnswer>.NotFound:
                logger.LogWarning("The GPU cluster does not know job {JobId} any more; nothing to {What}", jobId, what);
                break;
        }
    }
}

/// <summary>A user's pause or resume sent as a message (by the OpenAI-compatible API), answered with <see cref="LifecycleOutcome"/>.</summary>
public sealed record PauseOrResumeJob(Guid JobId, bool Resume);

/// <summary>Whether the job was found, and why the change was refused (null when it was made).</summary>
public sealed record LifecycleOutcome(bool Found, string? Refusal, string Status);

/// <summary>The same rules as the pause and resume endpoints, in one handler: the job is locked while deciding.</summary>
public static class PauseOrResumeJobHandler
{
    public static (LifecycleOutcome, Events, OutgoingMessages) Handle(
        PauseOrResumeJob command,
        [WriteAggregate(nameof(PauseOrResumeJob.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        TimeProvider clock)
    {
        if (job is null)
        {
            return (new LifecycleOutcome(false, null, ""), [], []);
        }

        var status = JobStatuses.Name(job.Status);
        var refusal = command.Resume
            ? job.Status is JobStatus.Paused ? null : $"Only a paused job can be resumed; this job is '{status}'."
            : JobPausing.Refusal(job);
        if (refusal is not null)
        {
            return (new LifecycleOutcome(true, refusal, status), [], []);
        }

        var (events, messages) = command.Resume ? JobPausing.Resume(job, clock.GetUtcNow()) : JobPausing.Pause(job, JobPausing.ByUser, clock.GetUtcNow());
        return (new LifecycleOutcome(true, null, status), events, messages);
    }
}
