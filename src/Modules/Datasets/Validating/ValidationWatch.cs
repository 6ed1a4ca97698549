using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Background;
using LoraPipeline.Platform.Identity;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Datasets.Validating;

/// <summary>
/// Runs again a validation whose message failed for good (PostgreSQL down for longer than its
/// retries, say) and went to the error queue: its dataset would stay "validating" for good, and a
/// new validation is refused while one is in progress. A dataset validating with no progress for
/// <see cref="DatasetOptions.ValidationOverdueAfter"/> gets its run sent again. A run still waiting
/// in the queue meanwhile is harmless: whichever delivery runs second finds it recorded and stops.
/// </summary>
internal sealed class ValidationWatch(
    IDocumentStore store, IServiceScopeFactory scopes, IOptions<DatasetOptions> options, TimeProvider clock, ILogger<ValidationWatch> logger)
    : PeriodicWatch(options.Value.ValidationWatchInterval, logger)
{
    /// <summary>One round: answers how many validations were sent again.</summary>
    public async Task<int> RerunStalledValidationsAsync(CancellationToken ct)
    {
        var quietSince = clock.GetUtcNow() - options.Value.ValidationOverdueAfter;
        await using var session = store.QuerySession();
        var validating = await session.Query<Dataset>()
            .Where(d => d.AnyTenant() && d.Status == DatasetStatus.Validating && d.DeletedAt == null && d.UpdatedAt < quietSince)
            .Select(d => new { d.Id, d.UserId, d.ValidationRun })
            .ToListAsync(ct);
        if (validating.Count == 0)
        {
            return 0;
        }

        var ids = validating.Select(d => d.Id).ToArray();
        var moving = (await session.Query<DatasetValidationProgress>().Where(p => p.AnyTenant() && p.Id.IsOneOf(ids) && p.UpdatedAt >= quietSince).ToListAsync(ct))
            .Select(p => (p.Id, p.Run))
            .ToHashSet();

        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        var sent = 0;
        foreach (var dataset in validating.Where(d => !moving.Contains((d.Id, d.ValidationRun))))
        {
            logger.LogWarning("Validation run {Run} of dataset {DatasetId} has shown no progress since {QuietSince}; running it again",
                dataset.ValidationRun, dataset.Id, quietSince);
            await bus.SendAsync(new ValidateDataset(dataset.Id, dataset.ValidationRun), new DeliveryOptions { TenantId = Caller.TenantOf(dataset.UserId) });
            sent++;
        }

        return sent;
    }

    protected override string LooksFor => "stalled validations";

    protected override Task RunRoundAsync(CancellationToken ct) => RerunStalledValidationsAsync(ct);
}
