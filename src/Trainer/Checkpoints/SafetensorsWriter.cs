using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Checkpoints;

/// <summary>
/// Writes a safetensors file: the header's JSON (with <c>__metadata__</c> first, as PyTorch's writer
/// does) is space-padded so the data section starts on an 8-byte boundary, then each tensor's bytes in
/// header order with contiguous offsets. Tensors are copied out in chunks, never as one buffer.
/// </summary>
internal static class SafetensorsWriter
{
    private const int ChunkBytes = 16 * 1024 * 1024;

    public static void Write(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var prepared = new List<(string Name, Tensor Data, bool Owned)>(tensors.Count);
        try
        {
            foreach (var (name, tensor) in tensors)
            {
                var cpu = tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
                var contiguous = cpu.is_contiguous() ? cpu : cpu.contiguous();
                if (!ReferenceEquals(cpu, tensor) && !ReferenceEquals(cpu, contiguous))
                {
                    cpu.Dispose();
                }

                prepared.Add((name, contiguous, !ReferenceEquals(contiguous, tensor)));
            }

            var header = Header(prepared, metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, data, _) in prepared)
            {
                WriteData(stream, data);
            }

            stream.Flush(flushToDisk: true);
        }
        finally
        {
            foreach (var (_, data, owned) in prepared)
            {
                if (owned)
                {
                    data.Dispose();
                }
            }
        }
    }

    private static byte[] Header(List<(string Name, Tensor Data, bool Owned)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            long offset = 0;
            foreach (var (name, data, _) in tensors)
            {
                var bytes = data.numel() * data.element_size();
                writer.WriteStartObject(name);
                writer.WriteString("dtype", SafetensorsDType.FromScalarType(data.dtype));
                writer.WriteStartArray("shape");
                foreach (var d in data.shape)
                {
                    writer.WriteNumberValue(d);
                }

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

        var raw = json.ToArray();
        var padded = new byte[(raw.Length + 7) / 8 * 8];
        raw.CopyTo(padded, 0);
        padded.AsSpan(raw.Length).Fill((byte)' ');
        return padded;
    }

    private static void WriteData(FileStream stream, Tensor data)
    {
        var count = data.numel();
        if (count == 0)
        {
            return;
        }

        using var flat = data.view(-1);
        var elementSize = data.element_size();
        var chunk = ChunkBytes / elementSize;
        for (long start = 0; start < count; start += chunk)
        {
            using var part = flat.narrow(0, start, Math.Min(chunk, count - start));
            stream.Write(part.bytes);
        }
    }
}
