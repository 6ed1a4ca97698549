using LoraPipeline.Platform.Storage;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// Uploads and model downloads share a bucket's folder of temporary files. Deleting a blob once took
/// that folder with it when it looked empty, and a write starting at that moment in another request
/// failed (a 500 for an upload, a lost attempt for a model).
/// </summary>
public sealed class when_blobs_are_written_and_deleted_at_once : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lora-blobs-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task failed_and_deleted_writes_never_break_the_writes_beside_them()
    {
        var blobs = new FileSystemBlobStore(Options.Create(new StorageOptions { Root = _root }));
        var payload = new byte[4096];

        async Task WriteAndDelete(int i)
        {
            var location = new BlobLocation(Buckets.Datasets, $"user/{i}/dataset.jsonl");
            if (i % 2 == 0)
            {
                // a refused upload: the write fails half-way, the temporary file and the blob are deleted
                await Assert.ThrowsAsync<BlobTooLargeException>(() => blobs.WriteAsync(location, new MemoryStream(payload), maxBytes: 100, CancellationToken.None));
                blobs.Delete(location);
            }
            else
            {
                var stored = await blobs.WriteAsync(location, new MemoryStream(payload), maxBytes: null, CancellationToken.None);
                Assert.Equal(payload.Length, stored.Size);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(() => WriteAndDelete(i))));

        Assert.Equal(1000, Directory.GetFiles(Path.Combine(_root, Buckets.Datasets, "user"), "dataset.jsonl", SearchOption.AllDirectories).Length);
        Assert.Equal(1000, Directory.GetDirectories(Path.Combine(_root, Buckets.Datasets, "user")).Length); // refused ones leave no folder
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
