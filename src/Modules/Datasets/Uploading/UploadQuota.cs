using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Limits;
using Marten;

namespace LoraPipeline.Datasets.Uploading;

/// <summary>
/// What one user may upload and keep: uploads in progress (per node), datasets kept, bytes on disk. Checked
/// before the body is read (from its declared length) and again once the file is stored (its real size), so a
/// refused upload leaves nothing behind. Files of a deleted dataset stay on disk until purged, so they count
/// until then: deleting and uploading again cannot fill the disk.
/// </summary>
internal static class UploadQuota
{
    public const string Uploads = "dataset-uploads";

    public static IDisposable Start(UserConcurrency concurrency, Guid userId, DatasetOptions limits) =>
        concurrency.TryAcquire(Uploads, userId, limits.MaxConcurrentUploadsPerUser)
        ?? throw new UserLimitExceeded("Too many uploads at once",
            $"An account may upload {limits.MaxConcurrentUploadsPerUser} datasets at the same time; retry when one of them has finished.",
            "concurrent_uploads", limits.MaxConcurrentUploadsPerUser, TimeSpan.FromSeconds(10)).ToProblem();

    /// <summary>Refuses when the user keeps too many datasets, or when <paramref name="incomingBytes"/> more would pass the byte quota.</summary>
    public static async Task CheckAsync(IQuerySession session, DatasetOptions limits, long incomingBytes, CancellationToken ct)
    {
        if (limits.MaxDatasetsPerUser > 0)
        {
            var kept = await session.Query<Dataset>().CountAsync(d => d.DeletedAt == null, ct);
            if (kept >= limits.MaxDatasetsPerUser)
            {
                throw new UserLimitExceeded("Too many datasets",
                    $"An account may keep {limits.MaxDatasetsPerUser:N0} datasets and this one has {kept:N0}; delete some (DELETE /api/datasets/{{id}}) before uploading more.",
                    "datasets", limits.MaxDatasetsPerUser, RetryAfter: null).ToProblem();
            }
        }

        if (limits.MaxStoredBytesPerUser > 0)
        {
            var stored = await session.Query<Dataset>().Where(d => d.PurgedAt == null).SumAsync(d => d.FileSize, ct);
            if (stored + incomingBytes > limits.MaxStoredBytesPerUser)
            {
                throw new UserLimitExceeded("Dataset storage full",
                    $"An account may keep {Mib(limits.MaxStoredBytesPerUser)} of dataset files; this one keeps {Mib(stored)} and the upload has {Mib(incomingBytes)}. " +
                    "Free space by deleting datasets with ?purge=true (a plain delete keeps the file until purged).",
                    "stored_dataset_bytes", limits.MaxStoredBytesPerUser, RetryAfter: null).ToProblem();
            }
        }
    }

    private static string Mib(long bytes) => $"{bytes / (1024d * 1024):0.#} MiB";
}
