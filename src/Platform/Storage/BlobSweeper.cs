using LoraPipeline.Platform.Background;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Platform.Storage;

/// <summary>
/// Removes what no record will ever point at: temporary files of writes that never finished (a crash, a power cut,
/// a dropped upload) and blobs of an owned bucket that no record references (a write whose record was never
/// committed). Only files older than <see cref="StorageOptions.SweepAfter"/> are looked at, so a write in progress
/// and its record's commit are never raced. On several nodes each one sweeps; deleting twice is harmless.
/// </summary>
public sealed class BlobSweeper(IEnumerable<IBlobOwner> owners, IOptions<StorageOptions> options, TimeProvider clock, ILogger<BlobSweeper> logger)
    : PeriodicWatch(options.Value.SweepInterval, logger)
{
    private readonly string _root = Path.GetFullPath(options.Value.Root);

    protected override string LooksFor => "stale and unreferenced blobs";

    protected override async Task RunRoundAsync(CancellationToken ct) => await SweepAsync(ct);

    /// <summary>One sweep; answers the temporary files and the unreferenced blobs removed.</summary>
    public async Task<(int Temporary, int Unreferenced)> SweepAsync(CancellationToken ct)
    {
        var before = clock.GetUtcNow() - options.Value.SweepAfter;
        int temporary = 0, unreferenced = 0;
        foreach (var owner in owners)
        {
            var bucket = Path.Combine(_root, owner.Bucket);
            if (!Directory.Exists(bucket))
            {
                continue;
            }

            var incoming = Path.Combine(bucket, ".incoming");
            foreach (var file in Directory.Exists(incoming) ? Directory.EnumerateFiles(incoming) : [])
            {
                if (File.GetLastWriteTimeUtc(file) < before.UtcDateTime && TryDelete(file))
                {
                    temporary++;
                }
            }

            foreach (var file in Directory.EnumerateFiles(bucket, "*", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                var relative = Path.GetRelativePath(bucket, file).Replace(Path.DirectorySeparatorChar, '/');
                if (relative.StartsWith(".incoming/", StringComparison.Ordinal) || File.GetLastWriteTimeUtc(file) >= before.UtcDateTime
                    || !BlobLocation.TryCreate(owner.Bucket, relative, out var location))
                {
                    continue;
                }

                if (!await owner.IsReferencedAsync(location!, ct) && TryDelete(file))
                {
                    unreferenced++;
                    logger.LogInformation("Removed {Bucket}/{Path}: no record refers to it", owner.Bucket, relative);
                }
            }
        }

        return (temporary, unreferenced);
    }

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (IOException)
        {
            return false; // in use or gone: the next round looks again
        }
    }
}
