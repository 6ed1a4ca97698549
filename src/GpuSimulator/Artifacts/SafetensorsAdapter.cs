using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace LoraPipeline.GpuSimulator.Artifacts;

/// <summary>One tensor of the adapter: name, shape and absolute byte range in the file.</summary>
internal sealed record TensorLayout(string Name, int Rows, int Columns, long FileOffset, long ByteLength, ulong Seed, bool IsLoraA);

/// <summary>
/// Layout of a PEFT LoRA <c>adapter_model.safetensors</c>: 8-byte little-endian header length, a JSON header
/// padded with spaces to a multiple of 8, then F16 tensor data in header order with contiguous offsets.
/// Tensor values are small pseudo-random fp16 numbers computed from (job, tensor, position), so any byte range
/// is generated independently.
/// </summary>
internal sealed class SafetensorsAdapter
{
    private SafetensorsAdapter(byte[] prefix, IReadOnlyList<TensorLayout> tensors, long length)
    {
        Prefix = prefix;
        Tensors = tensors;
        Length = length;
    }

    /// <summary>The 8-byte header length followed by the padded JSON header.</summary>
    public byte[] Prefix { get; }

    public IReadOnlyList<TensorLayout> Tensors { get; }

    public long Length { get; }

    public static SafetensorsAdapter Create(ModelArchitecture architecture, int rank, Guid jobId) =>
        Create(architecture, rank, DeterministicRandom.Seed(jobId));

    /// <summary>An adapter whose values come from <paramref name="seed"/> (the layout depends only on architecture and rank).</summary>
    public static SafetensorsAdapter Create(ModelArchitecture architecture, int rank, ulong seed)
    {
        var entries = new List<(string Name, int Rows, int Columns, bool IsLoraA)>();
        for (var layer = 0; layer < architecture.NumLayers; layer++)
        {
            foreach (var projection in architecture.Projections)
            {
                var stem = $"base_model.model.model.layers.{layer.ToString(CultureInfo.InvariantCulture)}.self_attn.{projection.Module}";
                entries.Add(($"{stem}.lora_A.weight", rank, projection.InFeatures, true));
                entries.Add(($"{stem}.lora_B.weight", projection.OutFeatures, rank, false));
            }
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("__metadata__");
            writer.WriteString("format", "pt");
            writer.WriteEndObject();
            long offset = 0;
            foreach (var (name, rows, columns, _) in entries)
            {
                var bytes = (long)rows * columns * 2;
                writer.WriteStartObject(name);
                writer.WriteString("dtype", "F16");
                writer.WriteStartArray("shape");
                writer.WriteNumberValue(rows);
                writer.WriteNumberValue(columns);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }

            writer.WriteEndObject();
        }

        var headerJson = json.ToArray();
        var paddedLength = (headerJson.Length + 7) / 8 * 8;
        var prefix = new byte[8 + paddedLength];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)paddedLength);
        headerJson.CopyTo(prefix, 8);
        prefix.AsSpan(8 + headerJson.Length).Fill((byte)' ');

        var tensors = new List<TensorLayout>(entries.Count);
        long position = prefix.Length;
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, rows, columns, isA) = entries[i];
            var bytes = (long)rows * columns * 2;
            tensors.Add(new TensorLayout(name, rows, columns, position, bytes, DeterministicRandom.Mix(seed ^ (ulong)(i + 1)), isA));
            position += bytes;
        }

        return new SafetensorsAdapter(prefix, tensors, position);
    }

    public Stream OpenRead() => new AdapterStream(this);

    private sealed class AdapterStream(SafetensorsAdapter adapter) : GeneratedStream(adapter.Length)
    {
        private int _lastTensor;

        protected override void Fill(long position, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                int written;
                if (position < adapter.Prefix.Length)
                {
                    var available = adapter.Prefix.AsSpan((int)position);
                    written = Math.Min(available.Length, destination.Length);
                    available[..written].CopyTo(destination);
                }
                else
                {
                    var tensor = FindTensor(position);
                    var offsetInTensor = position - tensor.FileOffset;
                    written = (int)Math.Min(tensor.ByteLength - offsetInTensor, destination.Length);
                    FillTensor(tensor, offsetInTensor, destination[..written]);
                }

                position += written;
                destination = destination[written..];
            }
        }

        private TensorLayout FindTensor(long position)
        {
            var tensors = adapter.Tensors;
            var candidate = tensors[_lastTensor];
            if (position >= candidate.FileOffset && position < candidate.FileOffset + candidate.ByteLength)
            {
                return candidate;
            }

            int lo = 0, hi = tensors.Count - 1;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) / 2;
                if (tensors[mid].FileOffset <= position)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            _lastTensor = lo;
            return tensors[lo];
        }

        private static void FillTensor(TensorLayout tensor, long offset, Span<byte> destination)
        {
            // every 8-byte word of a tensor is 4 fp16 values derived from one hash of (tensor seed, word index)
            Span<byte> word = stackalloc byte[8];
            var index = offset / 8;
            var skip = (int)(offset % 8);
            while (!destination.IsEmpty)
            {
                WriteWord(tensor, index, word);
                var take = Math.Min(8 - skip, destination.Length);
                word.Slice(skip, take).CopyTo(destination);
                destination = destination[take..];
                skip = 0;
                index++;
                if (destination.Length >= 8)
                {
                    var whole = destination.Length / 8;
                    for (var i = 0; i < whole; i++)
                    {
                        WriteWord(tensor, index++, destination.Slice(i * 8, 8));
                    }

                    destination = destination[(whole * 8)..];
                }
            }
        }

        private static void WriteWord(TensorLayout tensor, long index, Span<byte> destination)
        {
            var bits = DeterministicRandom.Mix(tensor.Seed + (ulong)index);
            // lora_A ~ [2^-9, 2^-5) in magnitude (like a scaled Kaiming init), lora_B ~ [2^-12, 2^-8)
            var baseExponent = tensor.IsLoraA ? 6u : 3u;
            for (var i = 0; i < 4; i++)
            {
                var r = (uint)(bits >> (16 * i)) & 0xFFFF;
                var sign = r & 1;
                var mantissa = (r >> 1) & 0x3FF;
                var exponent = baseExponent + ((r >> 11) & 0x3);
                var half = (ushort)((sign << 15) | (exponent << 10) | mantissa);
                BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], half);
            }
        }
    }
}
