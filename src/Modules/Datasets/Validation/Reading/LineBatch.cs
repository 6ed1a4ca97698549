namespace LoraPipeline.Datasets.Validation;

/// <summary>Where one line sits in its batch's buffer.</summary>
/// <param name="Start">Offset of the line's first byte in <see cref="LineBatch.Buffer"/>.</param>
/// <param name="Length">Bytes of the line without its line break (a trailing CR of a CRLF is dropped too).</param>
/// <param name="OversizeLength">
/// Non-zero when the line was longer than the limit: its full length. Its bytes are then not in the buffer.
/// </param>
internal readonly record struct LineEntry(int Start, int Length, long OversizeLength)
{
    public bool IsOversize => OversizeLength > 0;
}

/// <summary>Consecutive lines of the file, read into one pooled buffer and validated as a unit by one worker.</summary>
internal sealed class LineBatch(long sequence, long firstLineNumber, byte[] buffer)
{
    /// <summary>Position of the batch in the file, from 0; results are merged in this order.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>1-based line number of <see cref="Lines"/>[0].</summary>
    public long FirstLineNumber { get; } = firstLineNumber;

    public byte[] Buffer { get; } = buffer;

    public List<LineEntry> Lines { get; } = [];

    /// <summary>Bytes of the stream these lines took, line breaks, skipped oversize bytes and a BOM included.</summary>
    public long ByteCount { get; set; }

    public ReadOnlySpan<byte> Bytes(LineEntry line) => Buffer.AsSpan(line.Start, line.Length);
}
