using Marten;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Billing.Costs;

/// <summary>
/// The name a job is known by, for the cost records and notifications that tell about it: the name of the
/// dataset it trains on, as the jobs API shows it (<c>dataset.name</c>). The later events of a job do not
/// carry it, so it is read from the job stream's first event, the published <see cref="TrainingJobQueued"/>
/// (Billing knows Training only through its contracts). The projections run after the events are committed,
/// so the first event is always there to read.
/// </summary>
internal static class JobNames
{
    public static async Task<string?> OfAsync(IQuerySession tenantSession, object data, CancellationToken ct)
    {
        if (JobIdOf(data) is not { } jobId)
        {
            return null;
        }

        var first = await tenantSession.Events.FetchStreamAsync(jobId, version: 1, token: ct);
        return first.Select(e => e.Data).OfType<TrainingJobQueued>().FirstOrDefault()?.DatasetName;
    }

    /// <summary>The job a published job event is about, for the events that do not name it themselves.</summary>
    private static Guid? JobIdOf(object data) => data switch
    {
        TrainingJobStarted e => e.JobId,
        TrainingJobCompleted e => e.JobId,
        TrainingJobFailed e => e.JobId,
        TrainingJobCancelled e => e.JobId,
        TrainingJobPaused e => e.JobId,
        TrainingJobPreempted e => e.JobId,
        TrainingJobResumed e => e.JobId,
        _ => null,
    };
}
