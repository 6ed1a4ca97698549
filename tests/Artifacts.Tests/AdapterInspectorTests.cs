using System.Buffers.Binary;
using System.Text;
using LoraPipeline.Artifacts.Inspecting;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>A file that is not what it claims is flagged, with a reason a person can act on.</summary>
public sealed class AdapterInspectorTests
{
    private static MemoryStream Safetensors(string headerJson, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var stream = new MemoryStream();
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
        stream.Write(length);
        stream.Write(header);
        stream.Write(new byte[dataBytes]);
        stream.Position = 0;
        return stream;
    }

    private const string ValidHeader =
        "{\"__metadata__\":{\"format\":\"pt\"}," +
        "\"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\":{\"dtype\":\"F16\",\"shape\":[4,16],\"data_offsets\":[0,128]}," +
        "\"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight\":{\"dtype\":\"F16\",\"shape\":[16,4],\"data_offsets\":[128,256]}}";

    private static AdapterInspector.AdapterConfig Config(int rank, string peft = "LORA") => new(peft, "m", rank, rank * 2, ["q_proj"]);

    [Fact]
    public async Task a_well_formed_adapter_is_described_and_not_flagged()
    {
        using var file = Safetensors(ValidHeader, 256);
        var (header, problem) = await AdapterInspector.ReadHeaderAsync(file, file.Length, CancellationToken.None);
        Assert.Null(problem);
        Assert.Equal(2, header!.Tensors.Count);
        Assert.Equal(128, header.ParameterCount);
        Assert.Null(AdapterInspector.CheckConsistency(Config(4), header));
    }

    [Fact]
    public async Task a_rank_that_differs_from_the_config_is_flagged()
    {
        using var file = Safetensors(ValidHeader, 256);
        var (header, _) = await AdapterInspector.ReadHeaderAsync(file, file.Length, CancellationToken.None);
        Assert.Contains("not rank r=16", AdapterInspector.CheckConsistency(Config(16), header!));
    }

    [Fact]
    public async Task offsets_that_do_not_tile_the_file_are_flagged()
    {
        using var file = Safetensors(ValidHeader, 200);
        var (header, problem) = await AdapterInspector.ReadHeaderAsync(file, file.Length, CancellationToken.None);
        Assert.Null(header);
        Assert.Contains("cover 256 bytes but the file holds 200", problem);
    }

    [Theory]
    [InlineData("not safetensors at all, just text")]
    [InlineData("\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0001{}")]
    public async Task a_file_that_is_not_safetensors_is_flagged(string content)
    {
        using var file = new MemoryStream(Encoding.Latin1.GetBytes(content));
        var (header, problem) = await AdapterInspector.ReadHeaderAsync(file, file.Length, CancellationToken.None);
        Assert.Null(header);
        Assert.NotNull(problem);
    }

    [Fact]
    public void a_config_of_another_peft_type_is_flagged() =>
        Assert.Contains("not LORA", AdapterInspector.CheckConsistency(Config(4, "IA3"), new AdapterInspector.SafetensorsHeader([], 0, 0)));

    [Fact]
    public void a_config_that_is_not_json_is_flagged()
    {
        var (config, problem) = AdapterInspector.ReadConfig(new MemoryStream("{r: 8"u8.ToArray()));
        Assert.Null(config);
        Assert.Contains("not valid JSON", problem);
    }
}
