using System.Text;
using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>The sink gets every error, in line order, even when many batches are checked in parallel.</summary>
public sealed class ErrorSinkTests
{
    [Fact]
    public async Task Every_error_reaches_the_sink_in_line_order_across_parallel_batches()
    {
        // 20 000 lines are five batches (4 096 lines each), checked by four workers that finish out of order.
        var lines = new List<string>();
        var expected = new List<(long Line, string Code)>();
        for (var i = 1; i <= 20_000; i++)
        {
            switch (i % 7)
            {
                case 0:
                    lines.Add("""{"messages":[{"role":"bot","content":"x"}]}""");
                    expected.Add((i, ErrorCodes.UnknownRole));
                    break;
                case 3:
                    lines.Add("{oops");
                    expected.Add((i, ErrorCodes.InvalidJson));
                    break;
                default:
                    lines.Add(ValidLine);
                    break;
            }
        }

        var run = await ValidateAsync(Jsonl([.. lines]), workers: 4);

        Assert.Equal(expected, run.SinkErrors.Select(e => (e.Line, e.Code)));
        Assert.Equal(expected.Count, run.Outcome.TotalErrors);
        Assert.Equal(100, run.Outcome.FirstErrors.Count);
        Assert.Equal(run.SinkErrors.Take(100), run.Outcome.FirstErrors);
        Assert.Equal(expected.Count(e => e.Code == ErrorCodes.UnknownRole), run.Outcome.ErrorCountsByCode[ErrorCodes.UnknownRole]);
        Assert.Equal(expected.Count(e => e.Code == ErrorCodes.InvalidJson), run.Outcome.ErrorCountsByCode[ErrorCodes.InvalidJson]);
        Assert.Equal(20_000 - expected.Count, run.Outcome.Statistics.ValidationReport.ExampleCount);
        Assert.Equal([ValidLine, ValidLine, ValidLine], run.Outcome.Statistics.SampleData);
        Assert.True(run.Progress.Count >= 5, "progress is reported per batch");
        Assert.True(run.Progress.Zip(run.Progress.Skip(1)).All(p => p.First.BytesProcessed < p.Second.BytesProcessed));
    }

    [Fact]
    public async Task Errors_stay_in_line_order_when_a_later_batch_finishes_first()
    {
        // Line 1 holds its worker until the last line of the second batch (lines 4097-6000) has been checked by
        // the other worker, so the second batch's result is ready first; the sink must still get line 1's error first.
        var lines = Enumerable.Repeat(ValidLine, 6000).ToArray();
        lines[0] = """{"messages":[{"role":"user","content":"GATE"},{"role":"assistant","content":"x"}],"extra":1}""";
        lines[5999] = """{"messages":[{"role":"user","content":"RELEASE"},{"role":"assistant","content":"x"}],"extra":2}""";
        var gate = new GatedCounters();
        var sink = new CollectingSink();

        var outcome = await new DatasetValidator(gate, workerCount: 2).ValidateAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(Jsonl(lines))),
            new ValidationSettings(DatasetFormat.BrightrunLoraV4),
            sink,
            progress: null,
            CancellationToken.None);

        Assert.True(gate.FirstBatchWasHeldBack, "the test did not hold the first batch back");
        Assert.Equal([1L, 6000L], sink.Issues.Select(e => e.Line));
        Assert.Equal(2, outcome.TotalErrors);
    }

    [Fact]
    public async Task Samples_are_the_first_valid_examples_even_when_early_batches_have_none()
    {
        var lines = Enumerable.Repeat("{oops", 5000)
            .Concat(Enumerable.Range(1, 5).Select(i => ValidLine.Replace("Hi", $"Hi {i}", StringComparison.Ordinal)))
            .ToArray();

        var run = await ValidateAsync(Jsonl(lines), workers: 3);

        Assert.Equal(lines[5000..5003], run.Outcome.Statistics.SampleData);
    }

    [Fact]
    public async Task A_failing_sink_stops_the_validation_with_its_exception()
    {
        var lines = Enumerable.Repeat("{oops", 10_000).ToArray();
        var validator = new DatasetValidator(Counters, workerCount: 2);

        var exception = await Assert.ThrowsAsync<IOException>(() => validator.ValidateAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(Jsonl(lines))),
            new ValidationSettings(DatasetFormat.BrightrunLoraV4),
            new FailingSink(failAt: 50),
            progress: null,
            CancellationToken.None));
        Assert.Equal("disk full", exception.Message);
    }

    [Fact]
    public async Task Cancellation_stops_the_validation()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        var validator = new DatasetValidator(Counters);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => validator.ValidateAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(Jsonl(ValidLine))),
            new ValidationSettings(DatasetFormat.BrightrunLoraV4),
            ValidationErrorSink.Discard,
            progress: null,
            cancel.Token));
    }

    /// <summary>Real counts, except that "GATE" waits until "RELEASE" has been counted on another thread.</summary>
    private sealed class GatedCounters : ITokenCounterFactory
    {
        private readonly ManualResetEventSlim _released = new();

        public bool FirstBatchWasHeldBack { get; private set; }

        public ITokenCounter CreateCounter() => new Counter(Counters.CreateCounter(), this);

        private sealed class Counter(ITokenCounter real, GatedCounters gate) : ITokenCounter
        {
            public int CountTokens(ReadOnlySpan<char> text)
            {
                if (text.SequenceEqual("RELEASE"))
                {
                    gate._released.Set();
                }
                else if (text.SequenceEqual("GATE"))
                {
                    // A bounded wait, not a sleep: it returns as soon as the other worker gets there.
                    gate.FirstBatchWasHeldBack = gate._released.Wait(TimeSpan.FromSeconds(30));
                }

                return real.CountTokens(text);
            }
        }
    }

    private sealed class FailingSink(int failAt) : IValidationErrorSink
    {
        private int _written;

        public ValueTask WriteAsync(ValidationIssue issue, CancellationToken ct) =>
            ++_written == failAt ? throw new IOException("disk full") : ValueTask.CompletedTask;
    }
}
