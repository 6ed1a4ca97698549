using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace LoraPipeline.GpuSimulator;

/// <param name="HeldOut">The 0-based positions, among the training examples, that the validation split moved.</param>
internal sealed record DatasetStats(int TrainExamples, int ValidationExamples, long Bytes, IReadOnlyList<int>? HeldOut = null);

/// <summary>A job's automatic validation split: the share of training examples to hold out, and the seed that picks them.</summary>
internal sealed record SplitRequest(double Share, ulong Seed);

internal sealed class DatasetDownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Downloads a dataset through its signed URL and counts it while streaming: examples are non-blank lines that
/// parse as JSON objects, those with <c>"split": "validation"</c> being validation examples; bytes are the
/// whole body. With a <see cref="SplitRequest"/>, <see cref="ValidationSplitChoice"/> moves a seeded choice of the
/// training examples to validation (docs/cluster-contract.md, <c>validation_split</c>).
/// </summary>
internal sealed class DatasetInspector(IHttpClientFactory httpClientFactory, IOptionsMonitor<SimulatorOptions> options)
{
    public const string HttpClientName = "LoraPipeline.GpuSimulator.Dataset";

    public async Task<DatasetStats> InspectAsync(Uri url, SplitRequest? split, CancellationToken cancellationToken)
    {
        var (train, validation, bytes) = await CountAsync(url, cancellationToken);
        if (train == 0)
        {
            throw new DatasetDownloadException("dataset contains no training examples (expected JSON Lines with one object per line)");
        }

        if (split is null)
        {
            return new DatasetStats(train, validation, bytes);
        }

        var heldOut = ValidationSplitChoice.Choose(train, split.Share, split.Seed);
        return new DatasetStats(train - heldOut.Count, validation + heldOut.Count, bytes, heldOut);
    }

    /// <summary>A validation dataset: all its examples count, whatever their <c>split</c>.</summary>
    public async Task<int> CountExamplesAsync(Uri url, CancellationToken cancellationToken)
    {
        var (train, validation, _) = await CountAsync(url, cancellationToken);
        return train + validation > 0
            ? train + validation
            : throw new DatasetDownloadException("validation dataset contains no examples (expected JSON Lines with one object per line)");
    }

    private async Task<(int Train, int Validation, long Bytes)> CountAsync(Uri url, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CurrentValue.DatasetDownloadTimeout);
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new DatasetDownloadException(
                    $"dataset download failed: HTTP {(int)response.StatusCode} {ReasonOf(response.StatusCode)}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await using var counting = new CountingStream(body);
            using var reader = new StreamReader(counting, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
            int train = 0, validation = 0;
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                switch (Classify(line))
                {
                    case LineKind.Train:
                        train++;
                        break;
                    case LineKind.Validation:
                        validation++;
                        break;
                    case LineKind.Ignored:
                    default:
                        break;
                }
            }

            return (train, validation, counting.BytesRead);
        }
        catch (HttpRequestException ex)
        {
            throw new DatasetDownloadException($"dataset download failed: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new DatasetDownloadException($"dataset download failed while reading: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DatasetDownloadException(
                $"dataset download timed out after {options.CurrentValue.DatasetDownloadTimeout}", ex);
        }
    }

    private static string ReasonOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => "(not found)",
        HttpStatusCode.Forbidden => "(forbidden: signature invalid or expired?)",
        HttpStatusCode.Unauthorized => "(unauthorized)",
        _ => $"({status})",
    };

    private enum LineKind
    {
        Ignored,
        Train,
        Validation,
    }

    private static LineKind Classify(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return LineKind.Ignored;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return LineKind.Ignored;
            }

            return root.TryGetProperty("split", out var split)
                && split.ValueKind == JsonValueKind.String
                && string.Equals(split.GetString(), "validation", StringComparison.OrdinalIgnoreCase)
                ? LineKind.Validation
                : LineKind.Train;
        }
        catch (JsonException)
        {
            return LineKind.Ignored;
        }
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => BytesRead;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
