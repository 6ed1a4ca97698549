using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class ArtifactTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> CompletedJobAsync(string baseModel = TestData.TinyLlama, int rank = 8)
    {
        var (jobId, body) = TestData.StandardJob(_host, baseModel: baseModel, rank: rank);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        var final = (await _host.RunToEndAsync(id, 3600))[^1];
        Assert.Equal("completed", final.Status);
        return id;
    }

    private async Task<ArtifactsDto> ListAsync(string id)
    {
        using var response = await _host.Client.GetAsync($"training/artifacts/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ArtifactsDto>(Json.Options))!;
    }

    [Fact]
    public async Task Artifacts_are_409_until_completed_and_404_for_unknown_jobs()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(700);

        using var early = await _host.Client.GetAsync($"training/artifacts/{id}");
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal("job is not completed", (await early.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error);

        using var earlyFile = await _host.Client.GetAsync($"training/artifacts/{id}/files/adapter_config.json");
        Assert.Equal(HttpStatusCode.Conflict, earlyFile.StatusCode);

        using var unknown = await _host.Client.GetAsync("training/artifacts/sim-unknown");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Listing_has_four_files_with_absolute_urls_sizes_and_hashes_that_match_the_downloads()
    {
        var id = await CompletedJobAsync();

        var listing = await ListAsync(id);

        Assert.Equal(["adapter_config.json", "adapter_model.safetensors", "training_args.json", "training_log.jsonl"], listing.Files.Select(f => f.Name));
        Assert.Equal(listing.Files.ToDictionary(f => f.Name, f => f.DownloadUrl), listing.DownloadUrls);
        foreach (var file in listing.Files)
        {
            Assert.StartsWith($"{_host.BaseUrl}/gpu-sim/training/artifacts/{id}/files/{file.Name}", file.DownloadUrl, StringComparison.Ordinal);

            // the download URL works without the bearer key, like a pre-signed URL
            using var anonymous = _host.CreateClient(apiKey: null);
            var bytes = await anonymous.GetByteArrayAsync(file.DownloadUrl);
            Assert.Equal(file.Size, bytes.LongLength);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }

        var metadata = listing.ModelMetadata;
        Assert.Equal(TestData.TinyLlama, metadata["base_model"].GetString());
        Assert.Equal(8, metadata["rank"].GetInt32());
        Assert.Equal(16, metadata["alpha"].GetDouble());
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], metadata["target_modules"].EnumerateArray().Select(e => e.GetString()));

        // listing twice gives the same manifest (cached in the row)
        var again = await ListAsync(id);
        Assert.Equal(listing.Files, again.Files);
        Assert.NotNull(await database.ScalarAsync<string>("select artifact_manifest::text from {schema}.jobs where external_job_id = @id", ("id", id)));
    }

    [Fact]
    public async Task Token_in_download_url_is_checked()
    {
        var id = await CompletedJobAsync();
        using var anonymous = _host.CreateClient(apiKey: null);

        using var forged = await anonymous.GetAsync($"training/artifacts/{id}/files/adapter_config.json?token=0123456789abcdef0123456789abcdef");

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Adapter_config_is_peft_lora()
    {
        var id = await CompletedJobAsync();

        using var document = JsonDocument.Parse(await _host.Client.GetStringAsync($"training/artifacts/{id}/files/adapter_config.json"));
        var root = document.RootElement;

        Assert.Equal("LORA", root.GetProperty("peft_type").GetString());
        Assert.Equal("CAUSAL_LM", root.GetProperty("task_type").GetString());
        Assert.Equal(TestData.TinyLlama, root.GetProperty("base_model_name_or_path").GetString());
        Assert.Equal(8, root.GetProperty("r").GetInt32());
        Assert.Equal(16, root.GetProperty("lora_alpha").GetInt32());
        Assert.Equal(0.05, root.GetProperty("lora_dropout").GetDouble());
        Assert.Equal("none", root.GetProperty("bias").GetString());
        Assert.False(root.GetProperty("fan_in_fan_out").GetBoolean());
        Assert.True(root.GetProperty("inference_mode").GetBoolean());
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Safetensors_file_parses_and_matches_the_configuration()
    {
        var id = await CompletedJobAsync(TestData.TinyLlama, rank: 8);

        var bytes = await _host.Client.GetByteArrayAsync($"training/artifacts/{id}/files/adapter_model.safetensors");
        var (headerLength, metadata, tensors) = SafetensorsReader.ReadHeader(bytes);

        Assert.Equal(0, (8 + headerLength) % 8);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(22 * 4 * 2, tensors.Count);
        var expected = new Dictionary<string, (long Out, long In)>
        {
            ["q_proj"] = (2048, 2048),
            ["k_proj"] = (256, 2048),
            ["v_proj"] = (256, 2048),
            ["o_proj"] = (2048, 2048),
        };
        for (var layer = 0; layer < 22; layer++)
        {
            foreach (var (module, (outFeatures, inFeatures)) in expected)
            {
                var a = tensors.Single(t => t.Name == $"base_model.model.model.layers.{layer}.self_attn.{module}.lora_A.weight");
                var b = tensors.Single(t => t.Name == $"base_model.model.model.layers.{layer}.self_attn.{module}.lora_B.weight");
                Assert.Equal([8, inFeatures], a.Shape);
                Assert.Equal([outFeatures, 8], b.Shape);
            }
        }

        // F16, contiguous offsets from 0, data ends exactly at the end of the file
        long position = 0;
        foreach (var tensor in tensors.OrderBy(t => t.Begin))
        {
            Assert.Equal("F16", tensor.Dtype);
            Assert.Equal(position, tensor.Begin);
            Assert.Equal(tensor.Shape[0] * tensor.Shape[1] * 2, tensor.End - tensor.Begin);
            position = tensor.End;
        }

        Assert.Equal(8 + headerLength + position, bytes.LongLength);

        // values are small, finite, not all zero
        var dataStart = (int)(8 + headerLength);
        var values = Enumerable.Range(0, 10_000)
            .Select(i => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(dataStart + (i * 2))))
            .ToList();
        Assert.All(values, v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 0.1 && v != 0));
    }

    [Fact]
    public async Task Range_requests_return_the_matching_slice()
    {
        var id = await CompletedJobAsync();
        var url = $"training/artifacts/{id}/files/adapter_model.safetensors";
        var full = await _host.Client.GetByteArrayAsync(url);

        using var middle = new HttpRequestMessage(HttpMethod.Get, url);
        middle.Headers.Range = new RangeHeaderValue(100_003, 250_010);
        using var middleResponse = await _host.Client.SendAsync(middle);
        Assert.Equal(HttpStatusCode.PartialContent, middleResponse.StatusCode);
        Assert.Equal(100_003, middleResponse.Content.Headers.ContentRange!.From);
        Assert.Equal(full.LongLength, middleResponse.Content.Headers.ContentRange.Length);
        Assert.Equal(full.AsSpan(100_003, 150_008).ToArray(), await middleResponse.Content.ReadAsByteArrayAsync());

        // resume from an offset to the end
        using var resume = new HttpRequestMessage(HttpMethod.Get, url);
        resume.Headers.Range = new RangeHeaderValue(full.Length - 5000, null);
        using var resumeResponse = await _host.Client.SendAsync(resume);
        Assert.Equal(HttpStatusCode.PartialContent, resumeResponse.StatusCode);
        Assert.Equal(full.AsSpan(full.Length - 5000).ToArray(), await resumeResponse.Content.ReadAsByteArrayAsync());

        Assert.Equal("bytes", Assert.Single(middleResponse.Headers.AcceptRanges));

        // HEAD gives the size without the body, so a downloader can plan a resumable transfer
        using var head = new HttpRequestMessage(HttpMethod.Head, url);
        using var headResponse = await _host.Client.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, headResponse.StatusCode);
        Assert.Equal(full.LongLength, headResponse.Content.Headers.ContentLength);
        Assert.Empty(await headResponse.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Rank_128_Mistral_adapter_is_about_220_MB_and_streams_its_end_by_range()
    {
        var id = await CompletedJobAsync(TestData.Mistral, rank: 128);

        var listing = await ListAsync(id);
        var model = listing.Files.Single(f => f.Name == "adapter_model.safetensors");

        // 32 layers x (q: 128x4096 + 4096x128, k/v: 128x4096 + 1024x128, o: like q) x 2 bytes, plus the header
        const long parameters = 32L * ((2 * ((128 * 4096) + (4096 * 128))) + (2 * ((128 * 4096) + (1024 * 128))));
        Assert.InRange(model.Size - (parameters * 2), 8, 64 * 1024);
        Assert.InRange(model.Size, 210_000_000, 230_000_000);

        // header by range, then the last bytes
        using var head = new HttpRequestMessage(HttpMethod.Get, $"training/artifacts/{id}/files/adapter_model.safetensors");
        head.Headers.Range = new RangeHeaderValue(0, 7);
        using var headResponse = await _host.Client.SendAsync(head);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(await headResponse.Content.ReadAsByteArrayAsync());

        using var headerRequest = new HttpRequestMessage(HttpMethod.Get, $"training/artifacts/{id}/files/adapter_model.safetensors");
        headerRequest.Headers.Range = new RangeHeaderValue(0, 8 + headerLength - 1);
        using var headerResponse = await _host.Client.SendAsync(headerRequest);
        var (_, _, tensors) = SafetensorsReader.ReadHeader(await headerResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal(32 * 8, tensors.Count);
        Assert.Equal([1024, 128], tensors.Single(t => t.Name == "base_model.model.model.layers.31.self_attn.k_proj.lora_B.weight").Shape);
        Assert.Equal(model.Size, 8 + headerLength + tensors.Max(t => t.End));

        using var tail = new HttpRequestMessage(HttpMethod.Get, $"training/artifacts/{id}/files/adapter_model.safetensors");
        tail.Headers.Range = new RangeHeaderValue(null, 16);
        using var tailResponse = await _host.Client.SendAsync(tail);
        Assert.Equal(HttpStatusCode.PartialContent, tailResponse.StatusCode);
        Assert.Equal(16, (await tailResponse.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Training_args_and_log_describe_the_run()
    {
        var id = await CompletedJobAsync();
        var status = await _host.StatusAsync(id);

        using var args = JsonDocument.Parse(await _host.Client.GetStringAsync($"training/artifacts/{id}/files/training_args.json"));
        Assert.Equal(150, args.RootElement.GetProperty("total_steps").GetInt32());
        Assert.Equal(3, args.RootElement.GetProperty("num_epochs").GetInt32());
        Assert.Equal(4, args.RootElement.GetProperty("hyperparameters").GetProperty("batch_size").GetInt32());
        Assert.Equal("A100-80GB", args.RootElement.GetProperty("gpu_config").GetProperty("gpu_type").GetString());

        var log = await _host.Client.GetStringAsync($"training/artifacts/{id}/files/training_log.jsonl");
        var points = log.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonSerializer.Deserialize<MetricDto>(line, Json.Options)!)
            .ToList();
        Assert.Equal(status.MetricsHistory, points);
    }

    [Fact]
    public async Task Unknown_file_name_answers_404()
    {
        var id = await CompletedJobAsync();

        using var response = await _host.Client.GetAsync($"training/artifacts/{id}/files/pytorch_model.bin");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
