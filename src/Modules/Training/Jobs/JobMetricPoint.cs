using JasperFx.Events;
using LoraPipeline.Training.Contracts;
using Marten;
using Marten.Events.Projections;

namespace LoraPipeline.Training.Jobs;

/// <summary>One metric point of a job (E01's metrics_points), one document per job and step.</summary>
public sealed class JobMetricPoint
{
    /// <summary>"{job id}:{step}": a step recorded twice overwrites itself instead of duplicating.</summary>
    public string Id { get; set; } = "";
    public Guid JobId { get; set; }
    public int Step { get; set; }
    public int Epoch { get; set; }
    public double TrainingLoss { get; set; }
    public double? ValidationLoss { get; set; }
    public double LearningRate { get; set; }
    public double? GradientNorm { get; set; }
    public double? Throughput { get; set; }
    public double? GpuUtilization { get; set; }
    public DateTimeOffset Timestamp { get; set; }

    public static string IdFor(Guid jobId, int step) => $"{jobId:N}:{step:D10}";
}

/// <summary>Stores each recorded point as its own document, inline with the events.</summary>
public sealed partial class JobMetricPointProjection : EventProjection
{
    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is TrainingMetricsRecorded recorded)
        {
            foreach (var p in recorded.Points)
            {
                operations.Store(new JobMetricPoint
                {
                    Id = JobMetricPoint.IdFor(recorded.JobId, p.Step),
                    JobId = recorded.JobId,
                    Step = p.Step,
                    Epoch = p.Epoch,
                    TrainingLoss = p.TrainingLoss,
                    ValidationLoss = p.ValidationLoss,
                    LearningRate = p.LearningRate,
                    GradientNorm = p.GradientNorm,
                    Throughput = p.Throughput,
                    GpuUtilization = p.GpuUtilization,
                    Timestamp = p.Timestamp,
                });
            }
        }

        return ValueTask.CompletedTask;
    }
}
