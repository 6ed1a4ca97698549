using System.Text;
using LoraPipeline.Datasets.Validation;

namespace LoraPipeline.Bench.Validation;

/// <summary>
/// The floor the validator is compared with: the same reader, the same pipeline and the same number of workers,
/// but each line is only decoded and tokenized whole; no JSON parsing, no checks, no statistics.
/// </summary>
internal static class TokenizeLinesBaseline
{
    public sealed record Result(long Bytes, long Lines, long Tokens);

    public static async Task<Result> RunAsync(Stream file, ITokenCounterFactory counters, int workers, CancellationToken ct)
    {
        const int maxLineBytes = 1 << 20; // the validator's default
        var pool = new BufferPool(LineBatchReader.BufferSizeFor(maxLineBytes));
        var reader = new LineBatchReader(file, pool, maxLineBytes);
        long bytes = 0, lines = 0, tokens = 0;
        await OrderedBatchPipeline.RunAsync(
            reader,
            pool,
            workers,
            createWorker: () => new LineTokenizer(counters.CreateCounter()),
            process: static (tokenizer, batch) => tokenizer.Count(batch),
            merge: (batch, _) =>
            {
                bytes += batch.Bytes;
                lines += batch.Lines;
                tokens += batch.Tokens;
                return ValueTask.CompletedTask;
            },
            ct);
        return new Result(bytes, lines, tokens);
    }

    private sealed class LineTokenizer(ITokenCounter counter)
    {
        private char[] _chars = new char[64 * 1024];

        public Result Count(LineBatch batch)
        {
            long tokens = 0;
            foreach (var line in batch.Lines)
            {
                var bytes = batch.Bytes(line);
                if (_chars.Length < bytes.Length)
                {
                    _chars = new char[bytes.Length];
                }

                var length = Encoding.UTF8.GetChars(bytes, _chars);
                tokens += counter.CountTokens(_chars.AsSpan(0, length));
            }

            return new Result(batch.ByteCount, batch.Lines.Count, tokens);
        }
    }
}
