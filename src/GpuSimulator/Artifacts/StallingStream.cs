namespace LoraPipeline.GpuSimulator.Artifacts;

/// <summary>
/// Fault injection: a file body that sends its first bytes, then nothing, until the request is aborted: the
/// stalled transfer a hung storage node or a half-open connection gives.
/// </summary>
internal sealed class StallingStream(Stream inner, CancellationToken requestAborted) : Stream
{
    private const int SentBeforeTheStall = 64 * 1024;
    private long _sent;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_sent >= SentBeforeTheStall)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, requestAborted);
            await Task.Delay(Timeout.Infinite, either.Token);
        }

        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, SentBeforeTheStall - _sent)], cancellationToken);
        _sent += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
