using System.Buffers.Binary;
using System.Text.Json;
using LoraPipeline.Datasets.Validation;

namespace LoraPipeline.Datasets.Validating;

/// <summary>
/// The errors file of a validation: the first <c>maxListed</c> errors as JSON lines, written straight into
/// the blob being stored, and the byte offset of each line for the index file. Errors past the bound are
/// dropped here (the validator still counts them by code), so a file of two million bad lines makes an
/// errors file of a few megabytes, not a gigabyte.
/// </summary>
internal sealed class BoundedErrorsFile(Stream output, int maxListed) : IValidationErrorSink
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly List<long> _lineOffsets = new(Math.Min(maxListed, 1024));
    private long _position;

    /// <summary>Errors written to the file.</summary>
    public long Listed => _lineOffsets.Count;

    public async ValueTask WriteAsync(ValidationIssue issue, CancellationToken ct)
    {
        if (_lineOffsets.Count >= maxListed)
        {
            return;
        }

        var line = JsonSerializer.SerializeToUtf8Bytes(issue, IssueJson.Options);
        _lineOffsets.Add(_position);
        await output.WriteAsync(line, ct);
        await output.WriteAsync(NewLine, ct);
        _position += line.Length + NewLine.Length;
    }

    /// <summary>The index file's content: one 8-byte little-endian offset per line (80 KB for 10,000 lines).</summary>
    public byte[] Index()
    {
        var index = new byte[_lineOffsets.Count * sizeof(long)];
        for (var i = 0; i < _lineOffsets.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(i * sizeof(long)), _lineOffsets[i]);
        }

        return index;
    }
}
