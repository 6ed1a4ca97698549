using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace LoraPipeline.Billing.Costs;

/// <summary>E01's cost_records: one per job and type, whatever is replayed.</summary>
public sealed class CostRecord
{
    public Guid Id { get; set; }
    public Guid? JobId { get; set; }
    public Guid? ArtifactId { get; set; }
    public string CostType { get; set; } = "";

    /// <summary>What it is for, as the API names it: the job's (its dataset's name) or the model's; null in records made before names.</summary>
    public string? Name { get; set; }
    public decimal Amount { get; set; }
    public Dictionary<string, object?> Details { get; set; } = [];
    public DateOnly BillingPeriod { get; set; }
    public DateTimeOffset RecordedAt { get; set; }

    public static CostRecord From(CostLine line) => new()
    {
        Id = line.Id,
        JobId = line.JobId,
        ArtifactId = line.ArtifactId,
        CostType = line.CostType,
        Name = line.Name,
        Amount = line.Amount,
        Details = line.Details,
        BillingPeriod = line.BillingPeriod,
        RecordedAt = line.RecordedAt,
    };
}

/// <summary>Async projection over the job and model events of every stream: stores each billable line (an upsert by its derived id).</summary>
public sealed partial class CostRecordsProjection : EventProjection
{
    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (CostRules.From(e.Data) is not { } line)
        {
            return;
        }

        var tenant = operations.ForTenant(e.TenantId);
        var name = line.Name ?? await JobNames.OfAsync(tenant, e.Data, cancellation);
        tenant.Store(CostRecord.From(line with { Name = name }));
    }
}
