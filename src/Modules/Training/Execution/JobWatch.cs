using LoraPipeline.Platform.Background;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Re-arms a job's chain of messages when it broke. A chain (of polls for a running job, of
/// submission attempts for a waiting one) breaks only when a message finally fails after all its
/// retries (PostgreSQL down for longer than they last, say) and goes to the error queue. A running
/// job would then stay "running", its cost accruing, until cancelled; a waiting one would wait for good.
/// The message sent carries the chain's next number: if the chain was only late, whichever of the
/// two runs second finds its number taken and stops, so a job still has exactly one chain (a
/// submission sent twice reaches the cluster as the same job: our job id is its idempotency key).
/// On several nodes each one watches; the duplicates stop the same way.
/// </summary>
internal sealed class JobWatch(
    IDocumentStore store, IServiceScopeFactory scopes, IOptions<GpuClusterOptions> options, TimeProvider clock, ILogger<JobWatch> logger)
    : PeriodicWatch(options.Value.PollWatchInterval, logger)
{
    /// <summary>Sends a poll for every running job not polled for <see cref="GpuClusterOptions.PollOverdueAfter"/>; answers how many.</summary>
    public async Task<int> RearmOverduePollsAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.PollOverdueAfter;
        await using var session = store.QuerySession();
        var overdue = await session.Query<TrainingJob>()
            .Where(j => j.AnyTenant() && (j.Status == JobStatus.Running || j.Status == JobStatus.Paused || j.Status == JobStatus.Recovering)
                        && (j.LastPolledAt == null || j.LastPolledAt < cutoff))
            .Select(j => new { j.Id, j.UserId, j.LastPollNumber })
            .ToListAsync(ct);

        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var job in overdue)
        {
            logger.LogWarning("Job {JobId} was not polled since poll {PollNumber}; polling it again", job.Id, job.LastPollNumber);
            await bus.SendAsync(new PollTrainingJob(job.Id, job.LastPollNumber + 1), new DeliveryOptions { TenantId = Caller.TenantOf(job.UserId) });
        }

        return overdue.Count;
    }

    /// <summary>
    /// Sends the next submission attempt for every job still waiting to be submitted with nothing
    /// recorded for <see cref="GpuClusterOptions.SubmissionOverdueAfter"/>; answers how many.
    /// </summary>
    public async Task<int> RearmStalledSubmissionsAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.SubmissionOverdueAfter;
        await using var session = store.QuerySession();
        var stalled = await session.Query<TrainingJob>()
            .Where(j => j.AnyTenant() && (j.Status == JobStatus.Queued || j.Status == JobStatus.Initializing) && j.ExternalJobId == null && j.UpdatedAt < cutoff)
            .Select(j => new { j.Id, j.UserId, j.RetryCount })
            .ToListAsync(ct);

        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var job in stalled)
        {
            logger.LogWarning("Job {JobId} has waited for submission attempt {Attempt} too long; sending it again", job.Id, job.RetryCount + 1);
            await bus.SendAsync(new SubmitTrainingJob(job.Id, job.RetryCount + 1), new DeliveryOptions { TenantId = Caller.TenantOf(job.UserId) });
        }

        return stalled.Count;
    }

    /// <summary>
    /// Asks the cluster again to resume every job recovering for longer than <see cref="GpuClusterOptions.SubmissionOverdueAfter"/>:
    /// the resume that followed its preemption failed for good. A resume is a no-op for a job running again.
    /// </summary>
    public async Task<int> ResendStalledResumesAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.SubmissionOverdueAfter;
        await using var session = store.QuerySession();
        var stalled = await session.Query<TrainingJob>()
            .Where(j => j.AnyTenant() && j.Status == JobStatus.Recovering && j.ExternalJobId != null && j.UpdatedAt < cutoff)
            .Select(j => new { j.Id, j.UserId, j.ExternalJobId, j.RecoveryCount })
            .ToListAsync(ct);

        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var job in stalled)
        {
            logger.LogWarning("Job {JobId} has been recovering too long; asking the cluster to resume it again", job.Id);
            await bus.SendAsync(new ResumeOnCluster(job.Id, job.ExternalJobId!, job.RecoveryCount), new DeliveryOptions { TenantId = Caller.TenantOf(job.UserId) });
        }

        return stalled.Count;
    }

    /// <summary>
    /// Sends the cancel again for every job whose cluster side has not confirmed one for <see cref="GpuClusterOptions.ClusterCancelResendAfter"/>:
    /// a cancel lost while the cluster was down (its retries spent) is never forgotten.
    /// </summary>
    public async Task<int> ResendUnconfirmedCancelsAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.ClusterCancelResendAfter;
        await using var session = store.QuerySession();
        var pending = await session.Query<TrainingJob>()
            .Where(j => j.AnyTenant() && j.ClusterCancelPendingSince != null && j.ClusterCancelPendingSince < cutoff && j.UpdatedAt < cutoff)
            .Select(j => new { j.Id, j.UserId, j.ClusterCancelTarget })
            .ToListAsync(ct);

        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var job in pending)
        {
            logger.LogWarning("The GPU cluster has not confirmed the cancel of job {JobId} ({ExternalJobId}); sending it again", job.Id, job.ClusterCancelTarget);
            await bus.SendAsync(new CancelOnCluster(job.Id, job.ClusterCancelTarget!), new DeliveryOptions { TenantId = Caller.TenantOf(job.UserId) });
        }

        return pending.Count;
    }

    /// <summary>Callback signatures older than twice the timestamp tolerance can no longer be replayed: forget them.</summary>
    public async Task ForgetOldCallbackSignaturesAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var before = clock.GetUtcNow() - (options.Value.CallbackTolerance * 2);
        session.DeleteWhere<SeenCallbackSignature>(s => s.AnyTenant() && s.SeenAt < before);
        await session.SaveChangesAsync(ct);
    }

    protected override string LooksFor => "broken chains of polls, submissions and resumes, and unconfirmed cancels";

    protected override async Task RunRoundAsync(CancellationToken ct)
    {
        await RearmOverduePollsAsync(ct);
        await RearmStalledSubmissionsAsync(ct);
        await ResendStalledResumesAsync(ct);
        await ResendUnconfirmedCancelsAsync(ct);
        await ForgetOldCallbackSignaturesAsync(ct);
    }
}
