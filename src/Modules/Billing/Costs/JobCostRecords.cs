using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;

namespace LoraPipeline.Billing.Costs;

/// <summary>The cost records GET /api/jobs/{id} shows, answered for Training.</summary>
internal sealed class JobCostRecords(IDocumentStore store) : IJobCostRecords
{
    public async Task<IReadOnlyList<object>> ForJobAsync(Guid userId, Guid jobId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var records = await session.Query<CostRecord>().Where(r => r.JobId == jobId).OrderByDescending(r => r.RecordedAt).ThenBy(r => r.CostType).ToListAsync(ct);
        return records.Cast<object>().ToList();
    }
}
