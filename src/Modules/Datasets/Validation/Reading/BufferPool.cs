using System.Collections.Concurrent;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Equal-sized buffers reused within one validation. A private pool, rather than ArrayPool.Shared, so that the
/// buffers go back to the garbage collector when the validation ends instead of staying cached in the process.
/// </summary>
internal sealed class BufferPool(int bufferSize)
{
    private readonly ConcurrentBag<byte[]> _free = [];

    public int BufferSize { get; } = bufferSize;

    public byte[] Rent() => _free.TryTake(out var buffer) ? buffer : new byte[BufferSize];

    public void Return(byte[] buffer) => _free.Add(buffer);
}
