using System.Buffers.Binary;

namespace LoraPipeline.GpuSimulator;

/// <summary>
/// Counter-based pseudo-random numbers: every value is a pure function of (seed, channel, index), computed
/// with the SplitMix64 finaliser, so any process recomputes identical numbers in any order.
/// </summary>
internal static class DeterministicRandom
{
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Seed(Guid jobId)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!jobId.TryWriteBytes(bytes))
        {
            throw new InvalidOperationException("cannot write a Guid into 16 bytes");
        }

        var a = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        return Mix(a ^ Mix(b ^ 0x5DEECE66DUL));
    }

    public static ulong Bits(ulong seed, int channel, long index) =>
        Mix(seed ^ Mix(((ulong)(uint)channel << 40) ^ (ulong)index ^ 0xA5A5A5A5UL));

    /// <summary>Uniform value in [0, 1).</summary>
    public static double Unit(ulong seed, int channel, long index) =>
        (Bits(seed, channel, index) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform value in [-1, 1).</summary>
    public static double Signed(ulong seed, int channel, long index) => (2 * Unit(seed, channel, index)) - 1;
}
