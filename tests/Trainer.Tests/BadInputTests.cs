using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.TinyModel;

namespace LoraPipeline.Trainer.Tests;

/// <summary>Bad inputs, run through the real program: one clear line naming the file (and tensor), exit code 2.</summary>
public class BadInputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void an_unknown_architecture_is_refused_naming_config_json()
    {
        using var folder = new TempFolder();
        var model = CopyModel(TinyModels.Default, folder.Combine("gpt2"));
        var configPath = Path.Combine(model, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["architectures"] = new JsonArray("GPT2LMHeadModel");
        config["model_type"] = "gpt2";
        File.WriteAllText(configPath, config.ToJsonString());

        var (code, stderr) = Train(folder, model);

        Assert.Equal(2, code);
        Assert.Contains($"error: {configPath}: architecture GPT2LMHeadModel is not supported", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void a_missing_shard_is_refused_naming_the_shard_and_a_tensor_it_holds()
    {
        using var folder = new TempFolder();
        var model = CopyModel(TinyModels.Get(new TinyModelOptions { Shards = 2 }), folder.Combine("sharded"));
        var shard = Path.Combine(model, "model-00002-of-00002.safetensors");
        File.Delete(shard);

        var (code, stderr) = Train(folder, model);

        Assert.Equal(2, code);
        Assert.Contains($"error: {shard}: shard not found", stderr, StringComparison.Ordinal);
        Assert.Contains("e.g. model.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void a_shape_that_contradicts_config_json_is_refused_naming_the_tensor()
    {
        using var folder = new TempFolder();
        var model = CopyModel(TinyModels.Default, folder.Combine("wrong-shape"));
        var configPath = Path.Combine(model, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["intermediate_size"] = 100;
        File.WriteAllText(configPath, config.ToJsonString());

        var (code, stderr) = Train(folder, model);

        Assert.Equal(2, code);
        Assert.Contains("model.safetensors: tensor model.layers.0.mlp.gate_proj.weight has shape [176, 64], but config.json implies [100, 64]", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void an_unreadable_dataset_is_refused_naming_the_file_and_line()
    {
        using var folder = new TempFolder();
        var data = folder.Combine("broken.jsonl");
        File.WriteAllText(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\nthis is not json\n");
        var output = folder.Combine("run");

        var (code, stderr) = Train(folder, TinyModels.Default, data, output);

        Assert.Equal(2, code);
        Assert.Contains($"error: {data}:2: not valid JSON", stderr, StringComparison.Ordinal);
        var failed = ProgressFile.OfType(output, "failed").Single();
        Assert.Equal(2, failed.GetProperty("exit_code").GetInt32());
        Assert.Contains("broken.jsonl:2", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void a_missing_dataset_and_an_unknown_option_are_input_errors()
    {
        using var folder = new TempFolder();
        var missing = folder.Combine("nowhere.jsonl");
        var (code, stderr) = Train(folder, TinyModels.Default, missing);
        Assert.Equal(2, code);
        Assert.Contains($"error: {missing}: dataset not found", stderr, StringComparison.Ordinal);

        var (usage, _, usageError) = TrainerProcess.Run(Timeout, "train", "--base", TinyModels.Default, "--bogus", "1");
        Assert.Equal(2, usage);
        Assert.Contains("unknown option --bogus", usageError, StringComparison.Ordinal);
    }

    private static (int Code, string Stderr) Train(TempFolder folder, string model, string? data = null, string? output = null)
    {
        data ??= Capitals.WriteDataset(folder.Combine("capitals.jsonl"));
        var (code, _, stderr) = TrainerProcess.Run(Timeout, "train", "--base", model, "--data", data, "--out", output ?? folder.Combine("run"), "--epochs", "1", "--threads", "1");
        return (code, stderr);
    }

    private static string CopyModel(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        return to;
    }
}
