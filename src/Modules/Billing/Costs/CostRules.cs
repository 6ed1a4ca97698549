using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Platform;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Billing.Costs;

public static class CostTypes
{
    public const string TrainingCompute = "training_compute";
    public const string Storage = "storage";
}

/// <summary>
/// One billable line, as the cost record and the daily roll-up both see it. <paramref name="Name"/> is the model's
/// name for storage (its event carries it); a job's is filled in by the cost records (see <see cref="JobNames"/>).
/// </summary>
public sealed record CostLine(
    Guid Id, string CostType, decimal Amount, DateOnly BillingPeriod, DateTimeOffset RecordedAt, Guid? JobId, Guid? ArtifactId,
    Dictionary<string, object?> Details, string? Name = null);

/// <summary>
/// What is billed, in one place so that the records and the roll-up can never disagree:
/// <list type="bullet">
/// <item>a job that ended after GPU time started (completed, failed or cancelled) bills its final cost
/// as <c>training_compute</c>, on the day it ended (UTC); a job that never started bills nothing;</item>
/// <item>a stored model bills <see cref="StorageCost"/> as <c>storage</c> (the estimate's storage line), once.</item>
/// </list>
/// Each line's id derives from its job or model, so replaying the events never bills twice.
/// </summary>
public static class CostRules
{
    public const decimal StorageCost = 0.50m;

    public static CostLine? JobEnded(Guid jobId, decimal finalCost, GpuUsage? usage, DateTimeOffset endedAt) =>
        usage is null
            ? null
            : new CostLine(
                DeterministicGuid.From("cost", CostTypes.TrainingCompute, jobId.ToString()),
                CostTypes.TrainingCompute,
                Money.Cents(finalCost),
                DateOnly.FromDateTime(endedAt.UtcDateTime),
                endedAt,
                jobId,
                null,
                ComputeDetails(usage));

    /// <summary>What a compute line says of the GPU time: type, count, rate, hours, and from a cluster that accounts for it, each attempt.</summary>
    private static Dictionary<string, object?> ComputeDetails(GpuUsage usage)
    {
        var details = new Dictionary<string, object?>
        {
            ["gpu_type"] = usage.GpuType,
            ["gpu_count"] = usage.NumGpus,
            ["hourly_rate"] = usage.HourlyRate,
            ["duration_hours"] = Math.Round(usage.DurationHours, 4),
        };
        if (usage.GpuSeconds is { } seconds)
        {
            details["gpu_seconds"] = Math.Round(seconds, 1);
            details["attempts"] = (usage.Attempts ?? []).Select(a => new Dictionary<string, object?>
            {
                ["attempt"] = a.Attempt,
                ["gpu_seconds"] = Math.Round(a.GpuSeconds, 1),
                ["cost"] = a.Cost,
                ["outcome"] = a.Outcome,
                ["from_step"] = a.FromStep,
            }).ToList();
        }

        return details;
    }

    public static CostLine ModelStored(ArtifactReady stored) => new(
        DeterministicGuid.From("cost", CostTypes.Storage, stored.ArtifactId.ToString()),
        CostTypes.Storage,
        StorageCost,
        DateOnly.FromDateTime(stored.At.UtcDateTime),
        stored.At,
        stored.JobId,
        stored.ArtifactId,
        // one_off: the storage line is billed once, when the model is stored, not by the month
        new Dictionary<string, object?> { ["artifact_id"] = stored.ArtifactId, ["stored_bytes"] = stored.StoredBytes, ["one_off"] = true },
        stored.Name);

    public static CostLine? From(object data) => data switch
    {
        TrainingJobCompleted e => JobEnded(e.JobId, e.FinalCost, e.Usage, e.CompletedAt),
        TrainingJobFailed e => JobEnded(e.JobId, e.FinalCost, e.Usage, e.FailedAt),
        TrainingJobCancelled e => JobEnded(e.JobId, e.FinalCost, e.Usage, e.CancelledAt),
        ArtifactReady e => ModelStored(e),
        _ => null,
    };
}
