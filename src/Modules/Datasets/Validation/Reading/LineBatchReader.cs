namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Splits a UTF-8 stream into batches of lines without decoding them: each batch is one pooled buffer holding
/// whole lines plus their positions. A line longer than the limit is skipped through a fixed scratch buffer and
/// recorded by length only, so memory stays bounded whatever the file holds.
/// </summary>
internal sealed class LineBatchReader
{
    /// <summary>Size of a batch buffer when lines are short. About 25 ms of validation work on one core.</summary>
    public const int DefaultBatchBytes = 1 << 20;

    /// <summary>Caps the line entries (and the issues) one batch can carry when the lines are tiny.</summary>
    public const int MaxLinesPerBatch = 4096;

    private readonly Stream _stream;
    private readonly BufferPool _pool;
    private readonly int _maxLineBytes;

    // Bytes read but not yet placed in a batch (the start of an unfinished line, or lines beyond
    // MaxLinesPerBatch); also the scratch buffer through which an oversize line is skipped.
    private readonly byte[] _carry;
    private int _carryLength;
    private long _nextLineNumber = 1;
    private long _nextSequence;
    private bool _streamEnded;
    private bool _atStart = true;

    public LineBatchReader(Stream stream, BufferPool pool, int maxLineBytes)
    {
        if (pool.BufferSize < BufferSizeFor(maxLineBytes))
        {
            throw new ArgumentException("The pool's buffers cannot hold the longest accepted line.", nameof(pool));
        }

        _stream = stream;
        _pool = pool;
        _maxLineBytes = maxLineBytes;
        _carry = new byte[pool.BufferSize];
    }

    /// <summary>
    /// A buffer must hold the longest accepted line with its CR, LF and a BOM: then a buffer without a line
    /// break always means an oversize line, and every accepted line fits in one batch.
    /// </summary>
    public static int BufferSizeFor(int maxLineBytes) => Math.Max(DefaultBatchBytes, maxLineBytes + 64);

    /// <summary>The next batch, or null at the end of the stream. Not thread-safe: one reader task calls it.</summary>
    public async ValueTask<LineBatch?> ReadBatchAsync(CancellationToken ct)
    {
        if (_streamEnded && _carryLength == 0)
        {
            return null;
        }

        var buffer = _pool.Rent();
        _carry.AsSpan(0, _carryLength).CopyTo(buffer);
        var filled = _carryLength;
        _carryLength = 0;
        if (!_streamEnded && filled < buffer.Length)
        {
            var wanted = buffer.Length - filled;
            var read = await _stream.ReadAtLeastAsync(buffer.AsMemory(filled), wanted, throwOnEndOfStream: false, ct);
            filled += read;
            _streamEnded = read < wanted;
        }

        if (filled == 0)
        {
            _pool.Return(buffer);
            return null;
        }

        var batch = new LineBatch(_nextSequence++, _nextLineNumber, buffer);
        var position = SkipByteOrderMark(buffer.AsSpan(0, filled), batch);
        while (batch.Lines.Count < MaxLinesPerBatch)
        {
            var lineLength = buffer.AsSpan(position, filled - position).IndexOf((byte)'\n');
            if (lineLength < 0)
            {
                break;
            }

            AddLine(batch, position, lineLength);
            batch.ByteCount += lineLength + 1;
            position += lineLength + 1;
        }

        var tail = filled - position;
        if (batch.Lines.Count == MaxLinesPerBatch || (!_streamEnded && tail <= _maxLineBytes + 1))
        {
            // Unfinished (or not yet scanned) lines start the next batch.
            buffer.AsSpan(position, tail).CopyTo(_carry);
            _carryLength = tail;
        }
        else if (_streamEnded)
        {
            if (tail > 0)
            {
                AddLine(batch, position, tail); // the last line has no line break
                batch.ByteCount += tail;
            }
        }
        else
        {
            // No line break in sight and already longer than the limit: skip the rest without keeping it.
            var (skipped, endsWithCr, foundLineBreak) = await SkipRestOfLineAsync(buffer[filled - 1] == '\r', ct);
            var length = tail + skipped;
            batch.Lines.Add(new LineEntry(position, 0, OversizeLength: endsWithCr ? length - 1 : length));
            batch.ByteCount += length + (foundLineBreak ? 1 : 0);
        }

        _nextLineNumber += batch.Lines.Count;
        return batch;
    }

    private int SkipByteOrderMark(ReadOnlySpan<byte> data, LineBatch batch)
    {
        if (!_atStart)
        {
            return 0;
        }

        _atStart = false;
        // Editors on Windows often save UTF-8 with a BOM; it is not part of the first line's JSON.
        if (data.StartsWith("\uFEFF"u8))
        {
            batch.ByteCount += 3;
            return 3;
        }

        return 0;
    }

    private void AddLine(LineBatch batch, int start, int length)
    {
        if (length > 0 && batch.Buffer[start + length - 1] == '\r')
        {
            length--;
        }

        batch.Lines.Add(length > _maxLineBytes
            ? new LineEntry(start, 0, OversizeLength: length)
            : new LineEntry(start, length, OversizeLength: 0));
    }

    /// <summary>Reads past the next line break; what follows it is kept as the carry.</summary>
    private async ValueTask<(long Skipped, bool EndsWithCr, bool FoundLineBreak)> SkipRestOfLineAsync(
        bool endsWithCr, CancellationToken ct)
    {
        long skipped = 0;
        while (true)
        {
            var read = await _stream.ReadAsync(_carry.AsMemory(), ct);
            if (read == 0)
            {
                _streamEnded = true;
                return (skipped, endsWithCr, false);
            }

            var lineBreak = _carry.AsSpan(0, read).IndexOf((byte)'\n');
            if (lineBreak < 0)
            {
                skipped += read;
                endsWithCr = _carry[read - 1] == '\r';
                continue;
            }

            skipped += lineBreak;
            endsWithCr = lineBreak > 0 ? _carry[lineBreak - 1] == '\r' : endsWithCr;
            _carryLength = read - lineBreak - 1;
            _carry.AsSpan(lineBreak + 1, _carryLength).CopyTo(_carry); // overlapping copy is safe with spans
            return (skipped, endsWithCr, true);
        }
    }
}
