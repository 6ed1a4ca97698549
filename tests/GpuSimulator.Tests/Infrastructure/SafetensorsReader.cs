using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace LoraPipeline.GpuSimulator.Tests.Infrastructure;

public sealed record TensorInfo(string Name, string Dtype, long[] Shape, long Begin, long End);

/// <summary>An independent reader of the safetensors header, following the format's specification.</summary>
public static class SafetensorsReader
{
    public static (long HeaderLength, Dictionary<string, string> Metadata, List<TensorInfo> Tensors) ReadHeader(ReadOnlySpan<byte> prefix)
    {
        var headerLength = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(prefix));
        var json = Encoding.UTF8.GetString(prefix.Slice(8, (int)headerLength));
        using var document = JsonDocument.Parse(json);
        var metadata = new Dictionary<string, string>();
        var tensors = new List<TensorInfo>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var entry in property.Value.EnumerateObject())
                {
                    metadata[entry.Name] = entry.Value.GetString()!;
                }

                continue;
            }

            var offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            tensors.Add(new TensorInfo(
                property.Name,
                property.Value.GetProperty("dtype").GetString()!,
                property.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                offsets[0],
                offsets[1]));
        }

        return (headerLength, metadata, tensors);
    }
}
