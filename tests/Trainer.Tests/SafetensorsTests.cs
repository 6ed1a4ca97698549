using System.Buffers.Binary;
using System.Text.Json;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Tests;

public class SafetensorsTests
{
    [Fact]
    public void what_the_writer_writes_the_reader_reads_back_bit_for_bit_in_every_dtype()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("t.safetensors");
        using var f32 = torch.randn(3, 5);
        using var bf16 = torch.randn(7).to_type(ScalarType.BFloat16);
        using var f16 = torch.randn(2, 2, 2).to_type(ScalarType.Float16);
        using var i64 = torch.arange(0, 11, dtype: ScalarType.Int64);
        using var empty = torch.zeros(0, 4);
        SafetensorsWriter.Write(path, [new("a.f32", f32), new("b.bf16", bf16), new("c.f16", f16), new("d.i64", i64), new("e.empty", empty)], new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("ünïcode", reader.Metadata["note"]);
        Assert.Equal("BF16", reader.Entry("b.bf16").DType);
        foreach (var (name, expected) in new[] { ("a.f32", f32), ("b.bf16", bf16), ("c.f16", f16), ("d.i64", i64), ("e.empty", empty) })
        {
            using var actual = reader.Read(name);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.Equal(expected.bytes.ToArray(), actual.bytes.ToArray());
        }

        using var converted = reader.Read("b.bf16", ScalarType.Float32);
        Assert.True(converted.equal(bf16.to_type(ScalarType.Float32)).all().item<bool>());
    }

    [Fact]
    public void the_header_is_padded_to_8_bytes_and_the_offsets_tile_the_data()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("t.safetensors");
        using var a = torch.ones(3);
        using var b = torch.ones(5).to_type(ScalarType.Float16);
        SafetensorsWriter.Write(path, [new("a", a), new("b", b)]);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        var offsets = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (p.Value.GetProperty("data_offsets")[0].GetInt64(), p.Value.GetProperty("data_offsets")[1].GetInt64()))
            .OrderBy(o => o.Item1).ToList();
        Assert.Equal([(0L, 12L), (12L, 22L)], offsets);
        Assert.Equal(8 + headerLength + 22, bytes.Length);
    }

    [Fact]
    public void a_truncated_file_is_an_error_that_names_the_file_and_the_tensor()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("cut.safetensors");
        using var a = torch.ones(64);
        SafetensorsWriter.Write(path, [new("model.norm.weight", a)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^16]);

        var error = Assert.Throws<TrainerInputException>(() => SafetensorsReader.Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("model.norm.weight", error.Message, StringComparison.Ordinal);
    }
}
