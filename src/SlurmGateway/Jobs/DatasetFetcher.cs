using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>A dataset that cannot be used (too large, unreachable, empty): the submit answers 422 with the reason.</summary>
internal sealed class DatasetUnusableException(string message) : Exception(message);

/// <summary>Streams a dataset from its signed link into the job folder, size-checked, hashing as it goes.</summary>
internal sealed class DatasetFetcher(IHttpClientFactory httpClients, IOptions<GatewayOptions> options)
{
    public const string HttpClientName = "LoraPipeline.SlurmGateway.Datasets";

    public sealed record Fetched(long Bytes, string Sha256, int Examples);

    /// <param name="what">How refusals name the file: "dataset" or "validation dataset".</param>
    public async Task<Fetched> FetchAsync(string url, string destination, CancellationToken cancellationToken, string what = "dataset")
    {
        var max = options.Value.MaxDatasetBytes;
        using var response = await httpClients.CreateClient(HttpClientName).GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // 5xx/429 are worth a retry of the whole submit; anything else is the link's problem
            if ((int)response.StatusCode >= 500 || (int)response.StatusCode == 429)
            {
                throw new HttpRequestException($"the {what} link answered {(int)response.StatusCode}");
            }

            throw new DatasetUnusableException($"the {what} link answered {(int)response.StatusCode}");
        }

        if (response.Content.Headers.ContentLength is > 0 and var length && length > max)
        {
            throw new DatasetUnusableException($"the {what} is {length} bytes, more than this cluster accepts ({max})");
        }

        var partial = destination + ".part";
        long bytes = 0;
        var examples = 0;
        var lineHasText = false;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                bytes += read;
                if (bytes > max)
                {
                    file.Close();
                    File.Delete(partial);
                    throw new DatasetUnusableException($"the {what} is more than {max} bytes, more than this cluster accepts");
                }

                sha.AppendData(buffer, 0, read);
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] == (byte)'\n')
                    {
                        examples += lineHasText ? 1 : 0;
                        lineHasText = false;
                    }
                    else if (buffer[i] is not ((byte)' ' or (byte)'\r' or (byte)'\t'))
                    {
                        lineHasText = true;
                    }
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }

        examples += lineHasText ? 1 : 0;
        if (response.Content.Headers.ContentLength is { } expected && expected != bytes)
        {
            File.Delete(partial);
            throw new HttpRequestException($"the {what} download stopped after {bytes} of {expected} bytes");
        }

        if (examples == 0)
        {
            File.Delete(partial);
            throw new DatasetUnusableException($"the {what} has no examples");
        }

        File.Move(partial, destination, overwrite: true);
        return new Fetched(bytes, Convert.ToHexStringLower(sha.GetHashAndReset()), examples);
    }
}
