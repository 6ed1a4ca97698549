using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

/// <summary>
/// Checkpoints in the status and their files through <c>GET training/artifacts/{id}?checkpoint=STEP</c>. The
/// host saves one every 25 steps, so epoch ends (50, 100, 150) are checkpoints saved after their validation.
/// </summary>
public sealed class CheckpointTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
    {
        ["Simulator:CheckpointEvery"] = "25",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<ArtifactsDto> ListAsync(string id, int step)
    {
        using var response = await _host.Client.GetAsync($"training/artifacts/{id}?checkpoint={step}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"checkpoint {step} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ArtifactsDto>(Json.Options))!;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Checkpoints_are_listed_as_they_are_saved_with_their_step_losses()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());

        // epoch 1's validation: step 50 has completed, but its checkpoint is saved after the validation
        _host.AdvanceSimulated(700);
        var validating = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(("validating", 50), (validating.Stage, validating.CurrentStep));
        Assert.Equal([25], validating.Checkpoints.Select(c => c.Step));

        await _host.RunToEndAsync(id, 600);
        var final = await _host.StatusV2Async(id);
        Assert.Equal([25, 50, 75, 100, 125, 150], final.Checkpoints.Select(c => c.Step));
        foreach (var checkpoint in final.Checkpoints)
        {
            // saved where the step's point is reported: same losses, same instant
            var point = final.MetricsHistory.Single(p => p.Step == checkpoint.Step);
            Assert.Equal((point.Epoch, point.TrainingLoss, point.ValidationLoss, point.Timestamp),
                (checkpoint.Epoch, checkpoint.TrainingLoss, checkpoint.ValidationLoss, checkpoint.CreatedAt));
            Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], checkpoint.Files);
        }

        Assert.Equal([50, 100, 150], final.Checkpoints.Where(c => c.ValidationLoss is not null).Select(c => c.Step));
    }

    [Fact]
    public async Task Checkpoint_files_download_while_running_and_after_with_matching_size_hash_and_rank()
    {
        var (jobId, body) = TestData.StandardJob(_host, rank: 8);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(605 + 331 + 20); // epoch 2, past step 75
        var running = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal("running", running.Status);
        Assert.Equal([25, 50, 75], running.Checkpoints.Select(c => c.Step));

        var listing = await ListAsync(id, 25);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], listing.Files.Select(f => f.Name));
        Assert.Equal(listing.Files.ToDictionary(f => f.Name, f => f.DownloadUrl), listing.DownloadUrls);
        Assert.Equal(25, listing.ModelMetadata["checkpoint_step"].GetInt32());
        Assert.Equal(8, listing.ModelMetadata["rank"].GetInt32());
        using var anonymous = _host.CreateClient(apiKey: null);
        var downloads = new Dictionary<string, byte[]>();
        foreach (var file in listing.Files)
        {
            Assert.StartsWith($"{_host.BaseUrl}/gpu-sim/training/artifacts/{id}/files/{file.Name}?checkpoint=25&token=", file.DownloadUrl, StringComparison.Ordinal);
            var bytes = await anonymous.GetByteArrayAsync(file.DownloadUrl);
            Assert.Equal(file.Size, bytes.LongLength);
            Assert.Equal(file.Sha256, Sha256(bytes));
            downloads[file.Name] = bytes;
        }

        // a PEFT adapter of the job's rank
        var (headerLength, metadata, tensors) = SafetensorsReader.ReadHeader(downloads["adapter_model.safetensors"]);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(22 * 4 * 2, tensors.Count);
        Assert.Equal([8, 2048], tensors.Single(t => t.Name == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").Shape);
        Assert.Equal([256, 8], tensors.Single(t => t.Name == "base_model.model.model.layers.21.self_attn.k_proj.lora_B.weight").Shape);
        Assert.Equal(8 + headerLength + tensors.Max(t => t.End), downloads["adapter_model.safetensors"].LongLength);
        Assert.Contains("\"r\": 8", System.Text.Encoding.UTF8.GetString(downloads["adapter_config.json"]), StringComparison.Ordinal);

        // every checkpoint holds other weights; the final adapter differs from all of them
        var at75 = (await ListAsync(id, 75)).Files.Single(f => f.Name == "adapter_model.safetensors");
        var at25 = listing.Files.Single(f => f.Name == "adapter_model.safetensors");
        Assert.Equal(at25.Size, at75.Size);
        Assert.NotEqual(at25.Sha256, at75.Sha256);
        Assert.Equal(at75.Sha256, Sha256(await anonymous.GetByteArrayAsync(at75.DownloadUrl)));

        await _host.RunToEndAsync(id, 600);
        using var finalResponse = await _host.Client.GetAsync($"training/artifacts/{id}");
        var finalModel = (await finalResponse.Content.ReadFromJsonAsync<ArtifactsDto>(Json.Options))!.Files.Single(f => f.Name == "adapter_model.safetensors");
        Assert.DoesNotContain(finalModel.Sha256, new[] { at25.Sha256, at75.Sha256 });

        // still there after the end, with the same files; the manifests are cached in the row
        var after = await ListAsync(id, 25);
        Assert.Equal(listing.Files.Select(f => (f.Name, f.Size, f.Sha256)), after.Files.Select(f => (f.Name, f.Size, f.Sha256)));
        Assert.Equal(downloads["adapter_model.safetensors"], await anonymous.GetByteArrayAsync(after.DownloadUrls["adapter_model.safetensors"]));
        Assert.True(await database.ScalarAsync<bool>(
            "select checkpoint_manifests ? '25' and checkpoint_manifests ? '75' from {schema}.jobs where job_id = @id", ("id", jobId)));

        // range requests work on checkpoint files too
        using var range = new HttpRequestMessage(HttpMethod.Get, at25.DownloadUrl);
        range.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var partial = await anonymous.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(downloads["adapter_model.safetensors"].AsSpan(1000, 1000).ToArray(), await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Unknown_checkpoint_is_404_and_a_malformed_one_400()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(640); // step 25 saved, 50 not yet

        using var known = await _host.Client.GetAsync($"training/artifacts/{id}?checkpoint=25");
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        foreach (var step in new[] { "26", "50", "0", "100000" })
        {
            using var response = await _host.Client.GetAsync($"training/artifacts/{id}?checkpoint={step}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("checkpoint", (await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error, StringComparison.Ordinal);
        }

        using var file = await _host.Client.GetAsync($"training/artifacts/{id}/files/adapter_model.safetensors?checkpoint=50");
        Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
        using var malformed = await _host.Client.GetAsync($"training/artifacts/{id}?checkpoint=last");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var malformedFile = await _host.Client.GetAsync($"training/artifacts/{id}/files/adapter_config.json?checkpoint=-1");
        Assert.Equal(HttpStatusCode.BadRequest, malformedFile.StatusCode);
        using var unknownJob = await _host.Client.GetAsync("training/artifacts/sim-unknown?checkpoint=25");
        Assert.Equal(HttpStatusCode.NotFound, unknownJob.StatusCode);
        using var otherFile = await _host.Client.GetAsync($"training/artifacts/{id}/files/training_log.jsonl?checkpoint=25");
        Assert.Equal(HttpStatusCode.NotFound, otherFile.StatusCode); // a checkpoint has only the adapter's two files

        // the final files stay 409 until the job completes
        using var final = await _host.Client.GetAsync($"training/artifacts/{id}");
        Assert.Equal(HttpStatusCode.Conflict, final.StatusCode);
    }

    [Fact]
    public async Task Download_token_is_bound_to_the_job_file_and_checkpoint()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(605 + 331 + 20);
        var model = (await ListAsync(id, 25)).DownloadUrls["adapter_model.safetensors"];
        using var anonymous = _host.CreateClient(apiKey: null);

        using var ok = await anonymous.GetAsync(model);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        foreach (var moved in new[]
        {
            model.Replace("checkpoint=25", "checkpoint=50", StringComparison.Ordinal),        // another checkpoint
            model.Replace("checkpoint=25&", "", StringComparison.Ordinal),                    // the final file
            model.Replace("adapter_model.safetensors", "adapter_config.json", StringComparison.Ordinal), // another file
        })
        {
            using var refused = await anonymous.GetAsync(moved);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // the bearer key opens any checkpoint's file without a token
        using var withKey = await _host.Client.GetAsync($"training/artifacts/{id}/files/adapter_model.safetensors?checkpoint=50");
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);

        // a final file's URL cannot be turned into a checkpoint's either
        await _host.RunToEndAsync(id, 600);
        using var finalListing = await _host.Client.GetAsync($"training/artifacts/{id}");
        var finalModel = (await finalListing.Content.ReadFromJsonAsync<ArtifactsDto>(Json.Options))!.DownloadUrls["adapter_model.safetensors"];
        using var finalOk = await anonymous.GetAsync(finalModel);
        Assert.Equal(HttpStatusCode.OK, finalOk.StatusCode);
        using var finalMoved = await anonymous.GetAsync(finalModel.Replace("?token=", "?checkpoint=25&token=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, finalMoved.StatusCode);
    }

    [Fact]
    public async Task A_pause_checkpoint_has_files_of_its_own()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(605 + 20);
        await _host.PauseOkAsync(id);
        var checkpoints = (await _host.StatusV2Async(id, int.MaxValue)).Checkpoints;
        var step = checkpoints[^1].Step;
        Assert.InRange(step, 26, 49);
        Assert.Equal([25, step], checkpoints.Select(c => c.Step));

        var listing = await ListAsync(id, step);
        var pauseModel = listing.Files.Single(f => f.Name == "adapter_model.safetensors");
        var periodicModel = (await ListAsync(id, 25)).Files.Single(f => f.Name == "adapter_model.safetensors");
        Assert.NotEqual(periodicModel.Sha256, pauseModel.Sha256);
        Assert.Equal(pauseModel.Sha256, Sha256(await _host.CreateClient(apiKey: null).GetByteArrayAsync(pauseModel.DownloadUrl)));
        Assert.Equal(step, listing.ModelMetadata["checkpoint_step"].GetInt32());
    }
}
