using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Platform.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Root folder of the file-system blob store; shared by every node of a cluster.</summary>
    public string Root { get; set; } = ".data/blobs";

    /// <summary>HMAC key for signed links; at least 32 characters. Every node needs the same one.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Base URL that signed links are made absolute with (what the GPU cluster can reach).</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>How often stale temporary files and unreferenced blobs are removed (0: never).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Only files older than this are swept: longer than any write takes (a 500 MiB upload over a slow link, a
    /// model download) plus the commit of the record that follows it.
    /// </summary>
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// Fault injection for the power-cut scenario: the process dies the moment a write to this bucket is durable,
    /// before the record that would point at it can commit. Empty (off) by default.
    /// </summary>
    public string? CrashAfterWriteTo { get; set; }
}

/// <summary>
/// Blobs as files under {Root}/{bucket}/{path}. Writes go to a temporary file in the same
/// bucket and are renamed into place, so readers never see half a file; the file and then its
/// folder are flushed to disk before the write returns, so a record committed after it never points
/// at a file a power cut took back.
/// </summary>
public sealed class FileSystemBlobStore(IOptions<StorageOptions> options) : IBlobStore
{
    private const int CopyBufferSize = 128 * 1024;
    private readonly string _root = System.IO.Path.GetFullPath(options.Value.Root);
    private readonly string? _crashAfterWriteTo = options.Value.CrashAfterWriteTo;

    public Task<StoredBlob> WriteAsync(BlobLocation location, Stream content, long? maxBytes, CancellationToken ct) =>
        WriteAsync(location, async (output, token) =>
        {
            var buffer = new byte[CopyBufferSize];
            long size = 0;
            int read;
            while ((read = await content.ReadAsync(buffer, token)) > 0)
            {
                size += read;
                if (maxBytes is { } limit && size > limit)
                {
                    throw new BlobTooLargeException(limit);
                }

                await output.WriteAsync(buffer.AsMemory(0, read), token);
            }
        }, ct);

    public async Task<StoredBlob> WriteAsync(BlobLocation location, Func<Stream, CancellationToken, Task> produce, CancellationToken ct)
    {
        var target = PhysicalPath(location);
        var tempFolder = System.IO.Path.Combine(_root, location.Bucket, ".incoming");
        Directory.CreateDirectory(tempFolder);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        var temp = System.IO.Path.Combine(tempFolder, Guid.NewGuid().ToString("N"));

        try
        {
            long size;
            string sha256;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, useAsync: true))
            await using (var output = new HashingWriteStream(file))
            {
                await produce(output, ct);
                await output.FlushAsync(ct);
                file.Flush(flushToDisk: true); // the data on the device before the rename makes it visible
                size = output.Length;
                sha256 = output.Sha256();
            }

            try
            {
                File.Move(temp, target, overwrite: true);
            }
            catch (DirectoryNotFoundException)
            {
                // the blob's folder was emptied and removed by a delete meanwhile: make it again
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                File.Move(temp, target, overwrite: true);
            }
            DurableFiles.SyncFolder(System.IO.Path.GetDirectoryName(target)!); // and the rename itself
            if (_crashAfterWriteTo is { Length: > 0 } bucket && bucket == location.Bucket)
            {
                Environment.FailFast($"Storage:CrashAfterWriteTo: {location.Bucket}/{location.Path} is written; dying before its record commits.");
            }

            return new StoredBlob(location, size, sha256);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public Stream? OpenRead(BlobLocation location)
    {
        var path = PhysicalPath(location);
        return File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, CopyBufferSize, useAsync: true)
            : null;
    }

    public long? SizeOf(BlobLocation location)
    {
        var file = new FileInfo(PhysicalPath(location));
        return file.Exists ? file.Length : null;
    }

    public async Task<string?> ComputeSha256Async(BlobLocation location, CancellationToken ct)
    {
        await using var stream = OpenRead(location);
        return stream is null ? null : Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    public void Delete(BlobLocation location)
    {
        var path = PhysicalPath(location);
        TryDelete(path);
        // a blob's own folder ({user}/{dataset} or {user}/{job}) left empty goes too; never the shared
        // .incoming folder of temporary files, which concurrent writes of other blobs are using
        var folder = System.IO.Path.GetDirectoryName(path);
        var bucket = System.IO.Path.Combine(_root, location.Bucket);
        if (folder is not null && folder != bucket && !string.Equals(System.IO.Path.GetFileName(folder), ".incoming", StringComparison.Ordinal))
        {
            TryRemoveEmptyFolder(folder);
        }
    }

    private string PhysicalPath(BlobLocation location)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(_root, location.Bucket, location.Path));
        // BlobLocation already refuses '..'; this is the belt to its braces.
        if (!full.StartsWith(_root + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Blob path escapes the storage root.");
        }

        return full;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: a leftover temp file is swept by the next write of the same name
        }
    }

    private static void TryRemoveEmptyFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder); // not recursive: a folder that gained a file meanwhile stays
            }
        }
        catch (IOException)
        {
            // best effort, as above
        }
    }
}
