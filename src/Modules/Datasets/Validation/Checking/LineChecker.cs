using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Validates the lines of a batch: one instance per worker, never shared, so its buffers and token counter
/// need no locks. Statistics of valid examples accumulate in <see cref="Statistics"/> across batches.
/// </summary>
internal sealed class LineChecker
{
    /// <summary>The outcome shows three samples; each batch offers as many, in case earlier batches have none.</summary>
    public const int SamplesPerBatch = 3;

    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    private readonly ValidationSettings _settings;
    private readonly JsonStringTokens _tokens;
    private readonly LineIssues _lineIssues = new();

    public LineChecker(ValidationSettings settings, ITokenCounter tokenCounter)
    {
        _settings = settings;
        _tokens = new JsonStringTokens(tokenCounter);
        Statistics = new StatisticsAccumulator(settings.MaxSequenceLength);
    }

    public StatisticsAccumulator Statistics { get; }

    public BatchResult Check(LineBatch batch)
    {
        var result = new BatchResult(batch.Lines.Count, batch.ByteCount);
        for (var i = 0; i < batch.Lines.Count; i++)
        {
            CheckLine(batch, batch.Lines[i], batch.FirstLineNumber + i, result);
        }

        return result;
    }

    private void CheckLine(LineBatch batch, LineEntry entry, long lineNumber, BatchResult result)
    {
        if (entry.IsOversize)
        {
            result.ExampleLines++;
            result.Errors.Add(new ValidationIssue(lineNumber, ErrorCodes.LineTooLong,
                $"The line is {entry.OversizeLength:N0} bytes long, more than the limit of {_settings.MaxLineBytes:N0} bytes; it was not checked.",
                "Shorten the example (split a long conversation into several examples), or check that the file has a line break after each example."));
            return;
        }

        var line = batch.Bytes(entry);
        if (IsBlank(line))
        {
            result.Warnings.Add(new ValidationIssue(lineNumber, WarningCodes.BlankLine, "The line is blank; it was skipped.",
                "Remove blank lines; they are ignored, but often mean that an example was lost or split."));
            return;
        }

        result.ExampleLines++;
        if (!Utf8.IsValid(line))
        {
            var (message, suggestion) = InvalidUtf8Advice.Describe(line, lineNumber);
            result.Errors.Add(new ValidationIssue(lineNumber, ErrorCodes.InvalidUtf8, message, suggestion));
            return;
        }

        if (NulCharacter.Find(line) is { } column)
        {
            result.Errors.Add(new ValidationIssue(lineNumber, ErrorCodes.NulCharacter,
                $"The line contains a NUL character (U+0000) at byte {column + 1:N0}; text with NUL characters cannot be stored or trained on.",
                "Remove the NUL characters (raw 0x00 bytes or \\u0000 escapes); they usually come from a binary file or a broken export."));
            return;
        }

        _lineIssues.StartLine(lineNumber);
        var figures = Parse(line);
        result.Errors.AddRange(_lineIssues.Errors);
        if (figures is { } example)
        {
            Statistics.Add(example);
            AddWarnings(example, lineNumber, result.Warnings);
            if (result.Samples.Count < SamplesPerBatch)
            {
                result.Samples.Add(Encoding.UTF8.GetString(line));
            }
        }
    }

    private ExampleFigures? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line, ReaderOptions);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                ReportNotAnObject(ref reader);
                return null;
            }

            var figures = _settings.Format == DatasetFormat.BrightrunLoraV3
                ? PromptCompletionParser.Parse(ref reader, _lineIssues, _tokens)
                : ChatExampleParser.Parse(ref reader, _lineIssues, _tokens);
            reader.Read(); // throws when anything but white space follows the object
            return figures;
        }
        catch (JsonException exception)
        {
            // Whatever was found before the syntax error matters less than the syntax error itself.
            _lineIssues.Clear();
            var (message, suggestion) = InvalidJsonAdvice.Describe(line, exception);
            _lineIssues.Add(ErrorCodes.InvalidJson, message, suggestion);
            return null;
        }
    }

    private void ReportNotAnObject(ref Utf8JsonReader reader)
    {
        var kind = reader.TokenType;
        reader.Skip();
        reader.Read(); // a line that is not JSON at all is invalid_json, not not_an_object
        var example = _settings.Format == DatasetFormat.BrightrunLoraV3
            ? "{\"prompt\": \"...\", \"completion\": \"...\"}"
            : "{\"messages\": [...]}";
        _lineIssues.Add(ErrorCodes.NotAnObject, $"The line is {JsonKinds.Describe(kind)}, not a JSON object.",
            kind == JsonTokenType.StartArray
                ? $"Each line must be one example object such as {example}. If the file is a single JSON array of examples, write one element per line: `jq -c '.[]' data.json > data.jsonl`."
                : $"Each line must be one example object such as {example}.");
    }

    private void AddWarnings(in ExampleFigures example, long lineNumber, List<ValidationIssue> warnings)
    {
        var max = _settings.MaxSequenceLength;
        if (example.Tokens > max)
        {
            warnings.Add(new ValidationIssue(lineNumber, WarningCodes.SequenceTooLong,
                $"The example has {example.Tokens:N0} tokens, more than the maximum sequence length of {max:N0}; training will truncate it to {max:N0} tokens ({example.Tokens - max:N0} tokens dropped from the end).",
                "Shorten the conversation or split it into several examples, or raise the maximum sequence length if the model allows it."));
        }

        // brightrun_lora_v3 has no place for a system message: warning about it on every line would be noise.
        if (!example.HasSystem && _settings.Format == DatasetFormat.BrightrunLoraV4)
        {
            warnings.Add(new ValidationIssue(lineNumber, WarningCodes.NoSystemMessage, "The example has no system message.",
                "Add the same system message to every example if the model will be prompted with one; train as you will serve."));
        }

        if (!example.HasUser)
        {
            warnings.Add(new ValidationIssue(lineNumber, WarningCodes.NoUserMessage, "The example has no user message.",
                "Add the user's turn that the assistant answers, unless the model should write without a prompt."));
        }
    }

    /// <summary>Only JSON white space (space, tab, CR): any other character is for the parser to judge.</summary>
    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;
}
