using LoraPipeline.Platform.Http;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Billing.Costs;

/// <summary>One day of the chart: its total and the same split by cost type (for a stacked chart).</summary>
public sealed record DailyAmount(DateOnly Date, decimal Amount, IReadOnlyDictionary<string, decimal> ByType);

/// <summary>E06's analytics: total, by type, daily chart data and the records (newest first, paged).</summary>
public sealed record CostReport(
    CostPeriod Period,
    decimal TotalCost,
    IReadOnlyDictionary<string, decimal> CostByType,
    IReadOnlyList<DailyAmount> ChartData,
    IReadOnlyList<CostRecord> Records,
    Pagination RecordsPagination);

public static class CostsEndpoint
{
    /// <summary>
    /// Totals come from the daily roll-up (at most one row per day of the period, however many
    /// records there are); the records themselves are paged (<c>page</c>, <c>limit</c>, default 20).
    /// </summary>
    [WolverineGet("/api/costs", OperationId = "GetCosts"), Tags("Costs")]
    public static async Task<ApiResponse<CostReport>> Get(
        IQuerySession session, TimeProvider clock, string? period, string? start_date, string? end_date, int? page, int? limit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var (p, l) = PageRequest.Resolve(page, limit, errors);
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var range = CostPeriod.Resolve(period, start_date, end_date, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        var days = await session.Query<DailyCost>()
            .Where(d => d.Date >= range.StartDate && d.Date <= range.EndDate)
            .OrderBy(d => d.Date)
            .ToListAsync(ct);

        var byType = new SortedDictionary<string, decimal>(StringComparer.Ordinal) { [CostTypes.TrainingCompute] = 0m, [CostTypes.Storage] = 0m };
        foreach (var (type, amount) in days.SelectMany(d => d.ByType))
        {
            byType[type] = byType.GetValueOrDefault(type) + amount;
        }

        var total = days.Sum(d => d.Total);
        var recordCount = days.Sum(d => d.Records);
        var chart = days.Select(d => new DailyAmount(d.Date, d.Total, d.ByType)).ToList();

        var records = recordCount == 0
            ? []
            : await session.Query<CostRecord>()
                .Where(r => r.BillingPeriod >= range.StartDate && r.BillingPeriod <= range.EndDate)
                .OrderByDescending(r => r.RecordedAt)
                .Skip((p - 1) * l)
                .Take(l)
                .ToListAsync(ct);

        return Api.Ok(new CostReport(range, total, byType, chart, records.ToList(), Pagination.Of(p, l, recordCount)));
    }
}
