using JasperFx.Events;
using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Training.Contracts;
using Marten.Events.Projections;

namespace LoraPipeline.Billing.Costs;

/// <summary>
/// One user's costs of one day (id "yyyy-MM-dd"): what GET /api/costs and the budget read, so that
/// a period costs at most 366 rows to sum however many records it holds.
/// </summary>
public sealed class DailyCost
{
    public string Id { get; set; } = "";
    public DateOnly Date { get; set; }
    public decimal Total { get; set; }
    public Dictionary<string, decimal> ByType { get; set; } = [];
    public long Records { get; set; }

    public static string IdFor(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Rolls each billable line into its day. Lines come from <see cref="CostRules"/>, like the records;
/// each event is applied once by the async daemon, and a rebuild starts from zero.
/// </summary>
public sealed partial class DailyCostProjection : MultiStreamProjection<DailyCost, string>
{
    public DailyCostProjection()
    {
        Identity<TrainingJobCompleted>(e => DailyCost.IdFor(DateOnly.FromDateTime(e.CompletedAt.UtcDateTime)));
        Identity<TrainingJobFailed>(e => DailyCost.IdFor(DateOnly.FromDateTime(e.FailedAt.UtcDateTime)));
        Identity<TrainingJobCancelled>(e => DailyCost.IdFor(DateOnly.FromDateTime(e.CancelledAt.UtcDateTime)));
        Identity<ArtifactReady>(e => DailyCost.IdFor(DateOnly.FromDateTime(e.At.UtcDateTime)));
    }

    public void Apply(IEvent<TrainingJobCompleted> e, DailyCost day) => Add(day, e.Data);

    public void Apply(IEvent<TrainingJobFailed> e, DailyCost day) => Add(day, e.Data);

    public void Apply(IEvent<TrainingJobCancelled> e, DailyCost day) => Add(day, e.Data);

    public void Apply(IEvent<ArtifactReady> e, DailyCost day) => Add(day, e.Data);

    private static void Add(DailyCost day, object data)
    {
        if (CostRules.From(data) is not { } line)
        {
            return;
        }

        day.Id = DailyCost.IdFor(line.BillingPeriod);
        day.Date = line.BillingPeriod;
        day.Total += line.Amount;
        day.ByType[line.CostType] = day.ByType.GetValueOrDefault(line.CostType) + line.Amount;
        day.Records++;
    }
}
