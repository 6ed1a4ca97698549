using System.IO.Compression;
using System.Text;
using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>Whole-file cases: empty, blank, binary, encodings and line endings.</summary>
public sealed class FileLevelTests
{
    [Fact]
    public async Task An_empty_file_is_one_error_at_line_0()
    {
        var run = await ValidateAsync([]);

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal(0, error.Line);
        Assert.Equal(ErrorCodes.EmptyFile, error.Code);
        Assert.Contains("one example per line", error.Suggestion, StringComparison.Ordinal);
        Assert.False(run.Outcome.IsValid);
        Assert.Equal(0, run.Outcome.Statistics.ValidationReport.ExampleCount);
        Assert.Equal(ValueDistribution.Empty, run.Outcome.Statistics.ValidationReport.TokensPerExample);
    }

    [Fact]
    public async Task A_file_of_blank_lines_is_empty_and_each_blank_line_is_a_warning()
    {
        var run = await ValidateAsync("\n  \n\t\r\n");

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((0L, ErrorCodes.EmptyFile), (error.Line, error.Code));
        Assert.Contains("3 blank line", error.Message, StringComparison.Ordinal);
        Assert.Equal([1L, 2L, 3L], run.Outcome.FirstWarnings.Select(w => w.Line));
        Assert.All(run.Outcome.FirstWarnings, w => Assert.Equal(WarningCodes.BlankLine, w.Code));
    }

    [Fact]
    public async Task Blank_lines_are_skipped_with_a_warning_and_keep_the_line_numbers_right()
    {
        var run = await ValidateAsync(Jsonl(ValidLine, "", "   ", "{bad", ValidLine));

        Assert.Equal([(2L, "blank_line"), (3L, "blank_line")], run.Outcome.FirstWarnings
            .Where(w => w.Code == WarningCodes.BlankLine).Select(w => (w.Line, w.Code)));
        Assert.Equal(2, run.Outcome.WarningCountsByCode[WarningCodes.BlankLine]);
        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((4L, ErrorCodes.InvalidJson), (error.Line, error.Code));
        Assert.Equal(2, run.Outcome.Statistics.ValidationReport.ExampleCount);
    }

    [Fact]
    public async Task A_raw_nul_byte_is_a_nul_character_error_and_an_escaped_backslash_before_u0000_is_not()
    {
        var withNul = Encoding.UTF8.GetBytes("""{"messages": [{"role": "user", "content": "a?b"}, {"role": "assistant", "content": "x"}]}""");
        withNul[Array.IndexOf(withNul, (byte)'?')] = 0;
        const string literal = """{"messages": [{"role": "user", "content": "the text \\u0000"}, {"role": "assistant", "content": "x"}]}""";
        var file = Encoding.UTF8.GetBytes(ValidLine + "\n").Concat(withNul).Concat(Encoding.UTF8.GetBytes("\n" + literal + "\n")).ToArray();

        var run = await ValidateAsync(file);

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((2L, ErrorCodes.NulCharacter), (error.Line, error.Code));
        Assert.Contains("byte 45", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, run.Outcome.Statistics.TotalTrainingPairs);
    }

    [Fact]
    public async Task Invalid_utf8_names_the_byte_and_its_column()
    {
        // "Café" saved as Windows-1252: é is the single byte 0xE9.
        var line = Encoding.Latin1.GetBytes("""{"messages": [{"role": "user", "content": "Café"}, {"role": "assistant", "content": "x"}]}""");
        var file = Encoding.UTF8.GetBytes(ValidLine + "\n").Concat(line).Concat("\n"u8.ToArray()).ToArray();

        var run = await ValidateAsync(file);

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((2L, ErrorCodes.InvalidUtf8), (error.Line, error.Code));
        Assert.Contains($"byte 0xE9 at byte column {Array.IndexOf(line, (byte)0xE9) + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains("iconv -f WINDOWS-1252 -t UTF-8", error.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gzip_file_is_recognised()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(Jsonl(ValidLine, ValidLine, ValidLine)));
        }

        var run = await ValidateAsync(compressed.ToArray());

        Assert.False(run.Outcome.IsValid);
        Assert.Equal(1, run.SinkErrors[0].Line);
        Assert.Contains("gzip-compressed", run.SinkErrors[0].Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_content_is_rejected_line_by_line_without_crashing()
    {
        var bytes = new byte[256 * 1024];
        new Random(7).NextBytes(bytes);

        var run = await ValidateAsync(bytes, new ValidationSettings(DatasetFormat.BrightrunLoraV4, MaxLineBytes: 4096));

        Assert.False(run.Outcome.IsValid);
        Assert.Equal(0, run.Outcome.Statistics.ValidationReport.ExampleCount);
        Assert.Equal(bytes.Length, run.Outcome.BytesRead);
        Assert.Equal(run.Outcome.TotalErrors, run.SinkErrors.Count);
        Assert.All(run.SinkErrors, e => Assert.Contains(e.Code, new[] { ErrorCodes.InvalidUtf8, ErrorCodes.InvalidJson, ErrorCodes.LineTooLong }));
        Assert.Contains(run.SinkErrors, e => e.Suggestion.Contains("binary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_utf8_bom_crlf_line_endings_and_a_missing_final_newline_are_accepted()
    {
        var file = "\uFEFF" + ValidLine + "\r\n" + ValidLine + "\r\n" + ValidLine;
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(file);

        var run = await ValidateAsync(bytes);

        Assert.True(run.Outcome.IsValid, string.Join("; ", run.SinkErrors));
        Assert.Equal(3, run.Outcome.Statistics.ValidationReport.ExampleCount);
        Assert.Equal([ValidLine, ValidLine, ValidLine], run.Outcome.Statistics.SampleData);
        Assert.Equal(bytes.Length, run.Outcome.BytesRead);
        Assert.Equal(3, run.Outcome.LinesRead);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task The_line_limit_counts_the_line_without_its_line_break(string lineBreak)
    {
        var exactly = ValidLine;
        var oneMore = ValidLine.Replace("Hello!", "Hello!!", StringComparison.Ordinal);
        var settings = new ValidationSettings(DatasetFormat.BrightrunLoraV4, MaxLineBytes: Encoding.UTF8.GetByteCount(exactly));

        var run = await ValidateAsync(exactly + lineBreak + oneMore + lineBreak + exactly + lineBreak, settings);

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal((2L, ErrorCodes.LineTooLong), (error.Line, error.Code));
        Assert.Contains($"{Encoding.UTF8.GetByteCount(oneMore)} bytes long", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, run.Outcome.Statistics.ValidationReport.ExampleCount);
    }

    [Fact]
    public async Task Lines_that_straddle_buffer_boundaries_and_odd_sized_reads_are_reassembled()
    {
        // About 5 MB of lines of varied length: several lines cross each 1 MiB buffer boundary.
        var random = new Random(3);
        var contents = Enumerable.Range(0, 5000).Select(i => $"Answer {i}: " + new string('x', random.Next(600, 1500))).ToArray();
        var lines = contents.Select(c => $$"""{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"{{c}}"}]}""").ToArray();

        var run = await ValidateAsync(new TrickleStream(Encoding.UTF8.GetBytes(Jsonl(lines)), chunk: 7919));

        Assert.True(run.Outcome.IsValid, string.Join("; ", run.SinkErrors.Take(3)));
        Assert.Equal(5000, run.Outcome.Statistics.ValidationReport.ExampleCount);
        var expected = contents.Sum(c => 3 + Tokens("user") + Tokens("Q") + 3 + Tokens("assistant") + Tokens(c) + 3L);
        Assert.Equal(expected, run.Outcome.Statistics.TotalTokens);
        Assert.Equal(lines[..3], run.Outcome.Statistics.SampleData);
    }

    /// <summary>Hands out at most <c>chunk</c> bytes per read, as network streams do.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
