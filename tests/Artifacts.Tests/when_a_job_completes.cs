using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Alba;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Scoring;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Contracts;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

public sealed class when_a_job_completes(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task it_yields_one_model_whose_adapter_parses_as_safetensors_with_the_expected_shapes()
    {
        var user = await platform.CreateUserAsync();
        var (jobId, job) = await platform.CompletedJobAsync(user, rank: 8);
        var modelId = job["artifact_id"]!.GetValue<Guid>();
        var model = await platform.ModelAsync(user, modelId);

        Assert.Equal("stored", model["status"]!.GetValue<string>());
        Assert.Equal(jobId, model["job_id"]!.GetValue<Guid>());
        Assert.Equal("1.0.0", model["version"]!.GetValue<string>());
        Assert.StartsWith("Support chats - ", model["name"]!.GetValue<string>());
        Assert.Equal(8, model["adapter"]!["rank"]!.GetValue<int>());
        Assert.Equal("LORA", model["adapter"]!["peft_type"]!.GetValue<string>());
        Assert.Equal(32 * 4 * 2, model["adapter"]!["tensor_count"]!.GetValue<int>());

        var weights = model["artifacts"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "adapter_model.safetensors")!;
        Assert.Equal($"{user.Id}/{jobId}/adapter_model.safetensors", weights["storage_path"]!.GetValue<string>());
        var link = (await platform.LinksAsync(user, modelId, new { files = new[] { "adapter_model.safetensors" } }))[0]!;
        var bytes = await (await platform.FetchAsync(link["url"]!.GetValue<string>())).ReadAsBytesAsync();
        Assert.Equal(weights["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(bytes)));

        var headerLength = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        long Dim(string tensor, int i) => header.RootElement.GetProperty(tensor).GetProperty("shape")[i].GetInt64();
        const string layer = "base_model.model.model.layers.0.self_attn";
        Assert.Equal([8, 4096], new[] { Dim($"{layer}.q_proj.lora_A.weight", 0), Dim($"{layer}.q_proj.lora_A.weight", 1) });
        Assert.Equal([4096, 8], new[] { Dim($"{layer}.q_proj.lora_B.weight", 0), Dim($"{layer}.q_proj.lora_B.weight", 1) });
        Assert.Equal(1024, Dim($"{layer}.k_proj.lora_B.weight", 0)); // Mistral's 8 KV heads x 128

        // one model per job, however often collection is asked for
        await platform.Host.InvokeMessageAndWaitAsync(new CollectArtifacts(jobId, user.Id, job["external_job_id"]!.GetValue<string>()), user.Tenant, 60_000);
        var models = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/models"))).Data();
        Assert.Equal(1, models["pagination"]!["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task its_score_follows_the_documented_rule_on_the_jobs_metric_history()
    {
        var user = await platform.CreateUserAsync();
        var (jobId, job) = await platform.CompletedJobAsync(user);
        var details = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data();
        var points = details["metrics"]!.AsArray().Select(p => new MetricPoint(
            p!["step"]!.GetValue<int>(), p["epoch"]!.GetValue<int>(), p["training_loss"]!.GetValue<double>(), p["validation_loss"]?.GetValue<double?>(),
            p["learning_rate"]!.GetValue<double>(), null, null, null, DateTimeOffset.UnixEpoch)).ToList();

        var expected = QualityRule.Score(points);
        var quality = (await platform.ModelAsync(user, job["artifact_id"]!.GetValue<Guid>()))["quality_metrics"]!;
        Assert.Equal(expected.OverallScore, quality["overall_score"]!.GetValue<int>());
        Assert.Equal(JsonNamingPolicy.SnakeCaseLower.ConvertName(expected.ConvergenceQuality.ToString()), quality["convergence_quality"]!.GetValue<string>());
        // perplexity is exp of the unrounded final validation loss, then rounded to 4 places: compare with the rule's own
        // value, and with exp of the 4-place loss the model reports only within what that rounding can move it
        Assert.Equal(expected.Perplexity!.Value, quality["perplexity"]!.GetValue<double>(), tolerance: 0.00005);
        Assert.Equal(Math.Exp(quality["final_validation_loss"]!.GetValue<double>()), quality["perplexity"]!.GetValue<double>(), tolerance: 0.001);
    }

    [Fact]
    public async Task a_download_link_resumes_from_the_middle_and_stops_working_after_an_hour_or_one_changed_character()
    {
        var user = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(user);
        var modelId = job["artifact_id"]!.GetValue<Guid>();
        var link = (await platform.LinksAsync(user, modelId, new { files = new[] { "adapter_model.safetensors" } }))[0]!;
        var url = link["url"]!.GetValue<string>();
        var size = link["size"]!.GetValue<long>();
        Assert.Equal(platform.Clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), link["expires_at"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());

        var whole = await (await platform.FetchAsync(url)).ReadAsBytesAsync();
        var middle = size / 2;
        var rest = await platform.FetchAsync(url, 206, range: $"bytes={middle}-");
        Assert.Equal($"bytes {middle}-{size - 1}/{size}", rest.Context.Response.Headers.ContentRange.ToString());
        var resumed = whole[..(int)middle].Concat(await rest.ReadAsBytesAsync()).ToArray();
        Assert.Equal(link["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(resumed)));

        var sig = url.IndexOf("signature=", StringComparison.Ordinal) + "signature=".Length;
        var altered = url[..sig] + (url[sig] == 'A' ? 'B' : 'A') + url[(sig + 1)..];
        await (await platform.FetchAsync(altered, 403)).Problem(403);
        await platform.FetchAsync(url.Replace("adapter_model.safetensors", "adapter_config.json", StringComparison.Ordinal), 403);

        platform.Clock.Advance(TimeSpan.FromMinutes(61));
        var expired = await (await platform.FetchAsync(url, 403)).Problem(403);
        Assert.Contains("expired", expired["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task another_users_model_answers_404_exactly_like_a_missing_one()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(owner);
        var id = job["artifact_id"]!.GetValue<Guid>();
        var missing = Guid.NewGuid();

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/models/{id}", $"/api/models/{missing}");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/models/{id}", $"/api/models/{missing}", HttpMethod.Delete);
        await platform.Host.Scenario(s =>
        {
            s.As(stranger).Post.Json(new { }).ToUrl($"/api/models/{id}/download");
            s.StatusCodeShouldBe(404);
        });
        Assert.Equal("stored", (await platform.ModelAsync(owner, id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task models_can_be_renamed_sorted_and_soft_deleted()
    {
        var user = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(user);
        var id = job["artifact_id"]!.GetValue<Guid>();

        var renamed = await (await platform.Host.Scenario(s => s.As(user).Patch.Json(new { name = "Support bot v1" }).ToUrl($"/api/models/{id}"))).Data();
        Assert.Equal("Support bot v1", renamed["name"]!.GetValue<string>());
        // control characters (a NUL once made this a 500: PostgreSQL refuses it in JSON) are dropped like in dataset names
        var cleaned = await (await platform.Host.Scenario(s => s.As(user).Patch.Json(new { name = "Support\u0000 bot \u001b[31mv2\u0007" }).ToUrl($"/api/models/{id}"))).Data();
        Assert.Equal("Support bot [31mv2", cleaned["name"]!.GetValue<string>());
        await platform.Host.Scenario(s => s.As(user).Patch.Json(new { name = "Support bot v1" }).ToUrl($"/api/models/{id}"));

        var byQuality = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/models?sort=quality"))).Data();
        Assert.Equal(id, byQuality["models"]![0]!["id"]!.GetValue<Guid>());
        Assert.Equal("Support chats", byQuality["models"]![0]!["dataset_name"]!.GetValue<string>());
        var badSort = await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url("/api/models?sort=size");
            s.StatusCodeShouldBe(400);
        });
        await badSort.Problem(400);

        await platform.Host.Scenario(s =>
        {
            s.As(user).Delete.Url($"/api/models/{id}");
            s.StatusCodeShouldBe(204);
        });
        var list = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/models"))).Data();
        Assert.Equal(0, list["pagination"]!["total"]!.GetValue<long>());
        Assert.True(File.Exists(Path.Combine(platform.BlobRoot, "lora-models", user.Id.ToString(), job["id"]!.GetValue<string>(), "adapter_model.safetensors")));
    }

    [Fact]
    public async Task asking_for_an_unknown_file_names_the_files_the_model_has()
    {
        var user = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(user);
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { files = new[] { "../../secrets" } }).ToUrl($"/api/models/{job["artifact_id"]}/download");
            s.StatusCodeShouldBe(400);
        });
        Assert.Contains("adapter_config.json", (await result.Problem(400))["details"]!.ToJsonString());
    }
}
