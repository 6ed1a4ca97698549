using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Asking the cluster to stop a job's work is recorded, not only sent: the job stays "cancel pending" on the cluster
/// side until the cluster confirms, and the job watch asks again, so a cancel lost while the cluster was down is
/// never forgotten and no job trains on unbilled.
/// </summary>
internal static class ClusterCancels
{
    public static (ClusterCancelRequested Recorded, CancelOnCluster Sent) Request(Guid jobId, string externalJobId, DateTimeOffset now) =>
        (new ClusterCancelRequested(jobId, externalJobId, now), new CancelOnCluster(jobId, externalJobId));

    /// <summary>Adds the request to a decision's events and messages.</summary>
    public static void Add(List<object> events, List<object> messages, Guid jobId, string externalJobId, DateTimeOffset now)
    {
        var (recorded, sent) = Request(jobId, externalJobId, now);
        events.Add(recorded);
        messages.Add(sent);
    }
}
