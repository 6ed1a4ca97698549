using System.Text;
using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

[CollectionDefinition(nameof(AllocationMeasuringCollection), DisableParallelization = true)]
public sealed class AllocationMeasuringCollection;

/// <summary>A line far over the limit is one error and is never held in memory.</summary>
[Collection(nameof(AllocationMeasuringCollection))]
public sealed class LongLineTests
{
    private const long HugeLineBytes = 256L << 20;

    [Fact]
    public async Task A_256_MiB_line_is_one_line_too_long_error_and_memory_stays_small()
    {
        // The process's allocations are counted while no other test runs (this collection is not parallel).
        await ValidateAsync(Jsonl(ValidLine)); // warm up: tokenizer data, JIT
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var run = await ValidateAsync(new GeneratedFile(ValidLine + "\n", HugeLineBytes, "\n" + ValidLine + "\n"));

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 32L << 20, $"allocated {allocated / (1 << 20)} MiB while reading a {HugeLineBytes >> 20} MiB line");
        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((2L, ErrorCodes.LineTooLong), (error.Line, error.Code));
        Assert.Contains($"{HugeLineBytes:N0} bytes long, more than the limit of {1 << 20:N0} bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, run.Outcome.Statistics.ValidationReport.ExampleCount); // lines 1 and 3
        Assert.Equal(3, run.Outcome.LinesRead);
        Assert.Equal(HugeLineBytes + 1 + 2 * (Encoding.UTF8.GetByteCount(ValidLine) + 1), run.Outcome.BytesRead); // + its line break
    }

    [Fact]
    public async Task A_long_last_line_without_a_line_break_is_reported()
    {
        var run = await ValidateAsync(new GeneratedFile(ValidLine + "\n", 3L << 20, suffix: ""));

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((2L, ErrorCodes.LineTooLong), (error.Line, error.Code));
        Assert.Equal(2, run.Outcome.LinesRead);
    }

    /// <summary>A prefix, then <c>fillBytes</c> of 'a' (one long line), then a suffix, produced on demand.</summary>
    private sealed class GeneratedFile(string prefix, long fillBytes, string suffix) : Stream
    {
        private readonly byte[] _prefix = Encoding.UTF8.GetBytes(prefix);
        private readonly byte[] _suffix = Encoding.UTF8.GetBytes(suffix);
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var fillEnd = _prefix.Length + fillBytes;
            var written = 0;
            while (written < buffer.Length && _position < fillEnd + _suffix.Length)
            {
                int n;
                if (_position < _prefix.Length)
                {
                    n = Copy(_prefix, _position, buffer[written..]);
                }
                else if (_position < fillEnd)
                {
                    n = (int)Math.Min(buffer.Length - written, fillEnd - _position);
                    buffer.Slice(written, n).Fill((byte)'a');
                }
                else
                {
                    n = Copy(_suffix, _position - fillEnd, buffer[written..]);
                }

                written += n;
                _position += n;
            }

            return written;
        }

        private static int Copy(byte[] source, long from, Span<byte> destination)
        {
            var n = (int)Math.Min(destination.Length, source.Length - from);
            source.AsSpan((int)from, n).CopyTo(destination);
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
