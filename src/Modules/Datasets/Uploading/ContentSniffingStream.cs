namespace LoraPipeline.Datasets.Uploading;

/// <summary>
/// Passes an upload through unchanged while checking its first bytes with
/// <see cref="UploadRules.RefuseContent"/>, so a binary or UTF-16 file is refused after a few
/// kilobytes instead of after it was stored whole.
/// </summary>
internal sealed class ContentSniffingStream(Stream inner) : Stream
{
    private const int SniffBytes = 8 * 1024;
    private readonly byte[] _head = new byte[SniffBytes];
    private int _seen;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (_seen < SniffBytes && read > 0)
        {
            var take = Math.Min(read, SniffBytes - _seen);
            buffer.Span[..take].CopyTo(_head.AsSpan(_seen));
            _seen += take;
            var refusal = UploadRules.RefuseContent(_head.AsSpan(0, _seen));
            if (refusal is not null)
            {
                throw new UnsupportedDatasetContentException(refusal);
            }
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal sealed class UnsupportedDatasetContentException(string reason) : Exception(reason);
