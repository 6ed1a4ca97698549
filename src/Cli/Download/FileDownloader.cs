using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using LoraPipeline.Cli.Api;

namespace LoraPipeline.Cli.Download;

/// <summary>How one file's download went.</summary>
public enum DownloadOutcome
{
    /// <summary>Downloaded whole in this run.</summary>
    Downloaded,

    /// <summary>Carried on from a <c>.part</c> file with a Range request.</summary>
    Resumed,

    /// <summary>Already there with the right SHA-256: nothing fetched.</summary>
    AlreadyPresent,
}

public sealed record DownloadResult(string Path, DownloadOutcome Outcome, long ResumedFrom, long Bytes);

/// <summary>The file arrived but its SHA-256 is not the one the server gave: it was deleted.</summary>
public sealed class ChecksumMismatchException(string fileName, string expected, string actual)
    : CliException($"{fileName}: SHA-256 {actual} is not the expected {expected}; the file was deleted. Run the command again to download it afresh.")
{
    public string FileName { get; } = fileName;
}

/// <summary>
/// Downloads a signed link into a folder: into <c>NAME.part</c> first, which a later run resumes
/// with <c>Range: bytes=N-</c> (the links are served with Range support), then checked against the
/// SHA-256 the server gave and only then renamed to NAME. A file whose checksum does not match is
/// deleted, never left to be mistaken for the model.
/// </summary>
public sealed class FileDownloader(HttpClient http)
{
    public const string PartSuffix = ".part";

    /// <param name="progress">Bytes of the file present so far (the resumed part included) as they arrive.</param>
    public async Task<DownloadResult> DownloadAsync(DownloadLink link, string folder, Action<long>? progress, CancellationToken ct)
    {
        var name = SafeFileName(link.FileName);
        var target = Path.Combine(folder, name);
        var part = target + PartSuffix;
        var expected = link.Sha256.ToLowerInvariant();

        if (File.Exists(target))
        {
            if (await HashAsync(target, ct) == expected)
            {
                progress?.Invoke(link.Size);
                return new DownloadResult(target, DownloadOutcome.AlreadyPresent, 0, 0);
            }

            File.Delete(target); // an older or broken copy: fetch it again
        }

        var existing = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (existing > link.Size)
        {
            File.Delete(part); // longer than the file can be: not a part of this one
            existing = 0;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var resumedFrom = 0L;
        var fetched = 0L;
        if (existing == link.Size)
        {
            await HashIntoAsync(part, hash, ct); // a previous run got every byte but stopped before checking
            resumedFrom = existing;
        }
        else
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, link.Url);
            if (existing > 0)
            {
                request.Headers.Range = new RangeHeaderValue(existing, null);
            }

            using var response = await SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                throw new CliException($"{name}: the server refused to resume at byte {existing} (416); delete {part} and run the command again.");
            }

            if (!response.IsSuccessStatusCode)
            {
                var problem = await LoraApiClient.ProblemAsync(request, response, ct);
                throw new CliException(response.StatusCode == HttpStatusCode.Forbidden
                    ? $"{name}: the download link was refused ({problem.Problem.Error}); it may have expired. Run the command again for fresh links."
                    : $"{name}: {problem.Problem.Describe()}");
            }

            var append = existing > 0 && response.StatusCode == HttpStatusCode.PartialContent
                && response.Content.Headers.ContentRange is { From: { } from } && from == existing;
            if (append)
            {
                await HashIntoAsync(part, hash, ct);
                resumedFrom = existing;
            }

            var mode = append ? FileMode.Append : FileMode.Create; // a 200 to a Range request is the whole file: start over
            try
            {
                await using var output = new FileStream(part, mode, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                var buffer = new byte[81920];
                var present = append ? existing : 0;
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                    hash.AppendData(buffer, 0, read);
                    present += read;
                    fetched += read;
                    progress?.Invoke(present);
                }
            }
            catch (Exception e) when ((e is HttpRequestException or IOException) && !ct.IsCancellationRequested && File.Exists(part))
            {
                throw new ServerUnreachableException($"{name}: the download broke off after {new FileInfo(part).Length:N0} of {link.Size:N0} bytes ({e.Message}). Run the command again: it resumes from there.");
            }
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != expected)
        {
            File.Delete(part);
            throw new ChecksumMismatchException(name, expected, actual);
        }

        File.Move(part, target, overwrite: true);
        return new DownloadResult(target, resumedFrom > 0 ? DownloadOutcome.Resumed : DownloadOutcome.Downloaded, resumedFrom, fetched);
    }

    /// <summary>A file name from the server, never a path: no folder can be escaped through it.</summary>
    public static string SafeFileName(string name)
    {
        var clean = Path.GetFileName(name.Replace('\\', '/'));
        return string.IsNullOrWhiteSpace(clean) || clean is "." or ".." ? "file" : clean;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new ServerUnreachableException($"Could not reach {request.RequestUri?.GetLeftPart(UriPartial.Authority)} for the download: {e.Message}. Run the command again: what arrived is kept and resumed.");
        }
    }

    public static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static async Task HashIntoAsync(string path, IncrementalHash hash, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
    }
}
