using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Re-arms the poll chain of a running job that has not been polled for a while. A chain breaks only
/// when a poll finally fails after all its retries (PostgreSQL down for longer than they last, say)
/// and goes to the error queue; the job would then stay "running", its cost accruing, until
/// cancelled. The poll sent carries the next number: if the chain was only late, whichever of the two
/// runs second finds its number taken and stops, so a job still has exactly one chain. On several
/// nodes each one watches; the duplicates stop the same way.
/// </summary>
internal sealed class PollWatch(
    IDocumentStore store, IServiceScopeFactory scopes, IOptions<GpuClusterOptions> options, TimeProvider clock, ILogger<PollWatch> logger)
    : BackgroundService
{
    /// <summary>One round: sends a poll for every overdue running job; answers how many.</summary>
    public async Task<int> RearmOverduePollsAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.PollOverdueAfter;
        await using var session = store.QuerySession();
        var overdue = await session.Query<TrainingJob>()
            .Where(j => j.AnyTenant() && j.Status == JobStatus.Running && (j.LastPolledAt == null || j.LastPolledAt < cutoff))
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.PollWatchInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.PollWatchInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RearmOverduePollsAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Overdue polls could not be looked for this round");
            }
        }
    }
}
