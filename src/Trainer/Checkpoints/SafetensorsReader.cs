using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Checkpoints;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the data section.</summary>
internal sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads a safetensors file: an 8-byte little-endian header length, a JSON header (tensor name ->
/// dtype, shape, data_offsets; optional <c>__metadata__</c>), then the data section. Tensors are read
/// one at a time, in chunks straight into tensor storage, so neither a whole file nor a whole tensor is
/// ever held in a managed buffer (and no tensor is limited to 2 GiB).
/// </summary>
internal sealed class SafetensorsReader : IDisposable
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;
    private const int ChunkBytes = 16 * 1024 * 1024;
    private readonly FileStream _stream;
    private readonly long _dataStart;

    private SafetensorsReader(string path, FileStream stream, long dataStart, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new TrainerInputException($"{path}: file not found");
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var (dataStart, entries, metadata) = ReadHeader(path, stream);
            return new SafetensorsReader(path, stream, dataStart, entries, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a tensor in its stored dtype, or converted to <paramref name="as"/>.</summary>
    public Tensor Read(string name, ScalarType? @as = null)
    {
        var entry = Entry(name);
        var stored = SafetensorsDType.ToScalarType(entry.DType, Path, name);
        var tensor = torch.empty(entry.Shape, dtype: stored);
        try
        {
            Fill(entry, tensor);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }

        if (@as is null || @as == stored)
        {
            return tensor;
        }

        var converted = tensor.to_type(@as.Value);
        tensor.Dispose();
        return converted;
    }

    public SafetensorsEntry Entry(string name) =>
        Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new TrainerInputException($"{Path}: tensor {name} not found");

    public void Dispose() => _stream.Dispose();

    private void Fill(SafetensorsEntry entry, Tensor tensor)
    {
        var total = entry.End - entry.Begin;
        if (total == 0)
        {
            return;
        }

        using var flat = tensor.view(-1);
        var elementSize = SafetensorsDType.ElementSize(entry.DType);
        var chunkElements = ChunkBytes / elementSize;
        _stream.Position = _dataStart + entry.Begin;
        for (long start = 0; start < entry.ElementCount; start += chunkElements)
        {
            var count = Math.Min(chunkElements, entry.ElementCount - start);
            using var part = flat.narrow(0, start, count);
            var read = _stream.ReadAtLeast(part.bytes, (int)(count * elementSize), throwOnEndOfStream: false);
            if (read < count * elementSize)
            {
                throw new TrainerInputException($"{Path}: tensor {entry.Name} is cut short (the file ends inside its data)");
            }
        }
    }

    private static (long DataStart, Dictionary<string, SafetensorsEntry> Entries, Dictionary<string, string> Metadata) ReadHeader(string path, FileStream stream)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Length < 8 || stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw new TrainerInputException($"{path}: shorter than a safetensors header");
        }

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
        {
            throw new TrainerInputException($"{path}: declares a header of {headerLength} bytes, which does not fit the file; not a safetensors file?");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + headerLength;
        var dataLength = stream.Length - dataStart;
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(header);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        metadata[item.Name] = item.Value.ToString();
                    }

                    continue;
                }

                var entry = ParseEntry(path, property);
                if (entry.End > dataLength)
                {
                    throw new TrainerInputException($"{path}: tensor {entry.Name} ends at byte {entry.End} of the data section, which holds {dataLength} bytes; the file is truncated");
                }

                entries[entry.Name] = entry;
            }
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{path}: the safetensors header is not valid JSON ({e.Message})", e);
        }

        return (dataStart, entries, metadata);
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype)
            || !value.TryGetProperty("shape", out var shape)
            || !value.TryGetProperty("data_offsets", out var offsets)
            || offsets.GetArrayLength() != 2)
        {
            throw new TrainerInputException($"{path}: tensor {property.Name} has a malformed header entry");
        }

        var name = property.Name;
        var dims = shape.EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var begin = offsets[0].GetInt64();
        var end = offsets[1].GetInt64();
        var dtypeName = dtype.GetString() ?? "";
        var entry = new SafetensorsEntry(name, dtypeName, dims, begin, end);
        var elementSize = SafetensorsDType.ElementSize(dtypeName);
        if (elementSize == 0)
        {
            SafetensorsDType.ToScalarType(dtypeName, path, name); // throws the dtype error
        }

        if (begin < 0 || end < begin || end - begin != entry.ElementCount * elementSize)
        {
            throw new TrainerInputException($"{path}: tensor {name} has data_offsets [{begin}, {end}] that do not match its shape [{string.Join(", ", dims)}] and dtype {dtypeName}");
        }

        return entry;
    }
}
