using LoraPipeline.Datasets.Model;
using Marten;

namespace LoraPipeline.Datasets.Validating;

/// <summary>
/// Validations run one at a time in upload order; without a rule, one user's 50 uploads would hold up everyone
/// who uploads after them. The rule takes turns: a user whose last validation ended after another user's dataset
/// began waiting has had a turn while that one waited, so this validation goes to the back of the queue, behind it.
/// Two busy users then alternate; a user alone is never held. It reads only the datasets' own records, so it needs
/// no counter and holds across nodes; a validation is sent back at most <see cref="MaxDeferrals"/> times, so a
/// dataset stuck for another reason (its message lost until the watch re-runs it) cannot hold anyone for long.
/// </summary>
internal static class FairShare
{
    public const int MaxDeferrals = 50;

    /// <summary>The pure rule: had this user a turn since any other user's dataset began waiting?</summary>
    public static bool MustWait(DateTimeOffset? lastTurnEnded, DateTimeOffset? othersWaitingSince) =>
        lastTurnEnded is { } ended && othersWaitingSince is { } since && since < ended;

    public static async Task<bool> MustWaitAsync(IQuerySession session, IDocumentStore store, Dataset dataset, int deferrals, CancellationToken ct)
    {
        if (deferrals >= MaxDeferrals)
        {
            return false;
        }

        var lastTurnEnded = (await session.Query<Dataset>()
            .Where(d => d.Id != dataset.Id && d.ValidatedAt != null)
            .OrderByDescending(d => d.ValidatedAt)
            .Select(d => new { d.ValidatedAt })
            .FirstOrDefaultAsync(ct))?.ValidatedAt;
        if (lastTurnEnded is null)
        {
            return false;
        }

        await using var everyone = store.QuerySession();
        var othersWaitingSince = (await everyone.Query<Dataset>()
            .Where(d => d.AnyTenant() && d.Status == DatasetStatus.Validating && d.UserId != dataset.UserId)
            .OrderBy(d => d.UpdatedAt)
            .Select(d => new { d.UpdatedAt })
            .FirstOrDefaultAsync(ct))?.UpdatedAt;
        return MustWait(lastTurnEnded, othersWaitingSince);
    }
}
