using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Background;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Artifacts.Collecting;

/// <summary>
/// Starts again the collections that stopped without an ending. A collection's message can fail for
/// good (PostgreSQL down for longer than its retries last, a bug) and go to the error queue: the job's
/// model then never arrives, or stays "collecting" for good, and the user, who paid for the training,
/// cannot even retry (409 while collecting). Every <see cref="ArtifactOptions.CollectionWatchInterval"/>,
/// completed jobs without a model are looked at, and those quiet for longer than
/// <see cref="ArtifactOptions.CollectionOverdueAfter"/> get a collection again. A collection that
/// gave up is left to the user, who was told.
/// </summary>
internal sealed class CollectionWatch(
    ITrainingJobs jobs, IDocumentStore store, IServiceScopeFactory scopes, IOptions<ArtifactOptions> options, TimeProvider clock,
    ILogger<CollectionWatch> logger) : PeriodicWatch(options.Value.CollectionWatchInterval, logger)
{
    /// <summary>Jobs looked at per round, newest first; collections that gave up pile up among the oldest.</summary>
    public const int JobsPerRound = 1000;

    /// <summary>One round: answers how many collections were started again.</summary>
    public async Task<int> RestartStalledCollectionsAsync(CancellationToken ct)
    {
        var quietSince = clock.GetUtcNow() - options.Value.CollectionOverdueAfter;
        var candidates = await jobs.CompletedWithoutModelAsync(quietSince, JobsPerRound, ct);
        if (candidates.Count == 0)
        {
            return 0;
        }

        if (candidates.Count == JobsPerRound)
        {
            logger.LogWarning("{Count} completed jobs without a model: only the newest are looked at this round", JobsPerRound);
        }

        var ids = candidates.Select(j => ArtifactCollector.ArtifactIdFor(j.JobId)).ToArray();
        await using var session = store.QuerySession();
        var models = (await session.Query<ModelArtifact>().Where(m => m.AnyTenant() && m.Id.IsOneOf(ids)).ToListAsync(ct))
            .ToDictionary(m => m.JobId);

        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        var restarted = 0;
        foreach (var job in candidates)
        {
            if (Decide(job, models.GetValueOrDefault(job.JobId), quietSince) is { } message)
            {
                logger.LogWarning("The model of job {JobId} has had no collection since {QuietSince}; collecting it again", job.JobId, quietSince);
                await bus.SendAsync(message, new DeliveryOptions { TenantId = Caller.TenantOf(job.UserId) });
                restarted++;
            }
        }

        return restarted;
    }

    /// <summary>What a completed job without a linked model needs, if anything, given its model (null: none yet).</summary>
    public static object? Decide(CompletedJobWithoutModel job, ModelArtifact? model, DateTimeOffset quietSince) => model switch
    {
        // the collection never began
        null => new CollectArtifacts(job.JobId, job.UserId, job.ExternalJobId),
        { DeletedAt: not null } or { Status: ArtifactStatus.Failed } => null,
        // stored, but the link to the job was lost: a collection finds it stored and links it
        { Status: ArtifactStatus.Stored or ArtifactStatus.Flagged } => new CollectArtifacts(job.JobId, job.UserId, job.ExternalJobId),
        // no attempt has started, stored a file or failed for that long: the chain of attempts broke
        _ when model.UpdatedAt < quietSince => new RetryArtifactCollection(job.JobId, job.UserId, job.ExternalJobId, model.CollectionAttempts + 1),
        _ => null,
    };

    protected override string LooksFor => "stalled model collections";

    protected override Task RunRoundAsync(CancellationToken ct) => RestartStalledCollectionsAsync(ct);
}
