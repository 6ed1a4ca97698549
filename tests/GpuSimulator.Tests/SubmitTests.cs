using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class SubmitTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<int> SubmitCallsAsync(Guid jobId) =>
        database.ScalarAsync<int>("select submit_calls from {schema}.jobs where job_id = @id", ("id", jobId));

    private Task<long> RowsAsync(Guid jobId) =>
        database.ScalarAsync<long>("select count(*) from {schema}.jobs where job_id = @id", ("id", jobId));

    [Fact]
    public async Task Submit_answers_201_with_a_sim_id_and_queued()
    {
        var (jobId, body) = TestData.StandardJob(_host);

        using var response = await _host.SubmitAsync(body, jobId.ToString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("sim-", json.RootElement.GetProperty("external_job_id").GetString());
        Assert.Equal("queued", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Same_idempotency_key_twice_answers_200_with_the_same_id_and_one_job()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var first = await _host.SubmitOkAsync(body, jobId.ToString());

        using var again = await _host.SubmitAsync(body, jobId.ToString());

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var dto = await again.Content.ReadFromJsonAsync<SubmitDto>(Json.Options);
        Assert.Equal(first, dto!.ExternalJobId);
        Assert.Equal(1, await RowsAsync(jobId));
        Assert.Equal(2, await SubmitCallsAsync(jobId));
    }

    [Fact]
    public async Task Same_job_id_without_header_is_the_same_job()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var first = await _host.SubmitOkAsync(body);

        using var again = await _host.SubmitAsync(body);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first, (await again.Content.ReadFromJsonAsync<SubmitDto>(Json.Options))!.ExternalJobId);
        Assert.Equal(1, await RowsAsync(jobId));
    }

    [Fact]
    public async Task Repeated_submit_reports_the_current_status()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(700);

        using var again = await _host.SubmitAsync(body, jobId.ToString());

        Assert.Equal("running", (await again.Content.ReadFromJsonAsync<SubmitDto>(Json.Options))!.Status);
    }

    [Fact]
    public async Task Concurrent_submits_with_one_key_create_exactly_one_job()
    {
        var (jobId, body) = TestData.StandardJob(_host);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => _host.SubmitAsync(body, jobId.ToString())));

        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, response.StatusCode.ToString());
            ids.Add((await response.Content.ReadFromJsonAsync<SubmitDto>(Json.Options))!.ExternalJobId);
            response.Dispose();
        }

        Assert.Single(ids);
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(1, await RowsAsync(jobId));
        Assert.Equal(12, await SubmitCallsAsync(jobId));
    }

    [Fact]
    public async Task Dataset_is_counted_train_validation_and_bytes()
    {
        var jobId = Guid.NewGuid();
        var content = TestData.Dataset(train: 37, validation: 5, lineBytes: 300);
        var url = _host.PublishDataset($"count-{jobId:N}.jsonl", content);
        var id = await _host.SubmitOkAsync(TestData.Submission(jobId, url, batchSize: 4, epochs: 2));

        var status = await _host.StatusAsync(id);

        Assert.Equal(10 * 2, status.TotalSteps); // ceil(37 / 4) * 2
        Assert.Equal(2, status.TotalEpochs);
        Assert.Equal(37, await database.ScalarAsync<int>("select train_examples from {schema}.jobs where job_id = @id", ("id", jobId)));
        Assert.Equal(5, await database.ScalarAsync<int>("select validation_examples from {schema}.jobs where job_id = @id", ("id", jobId)));
        Assert.Equal(content.LongLength, await database.ScalarAsync<long>("select dataset_bytes from {schema}.jobs where job_id = @id", ("id", jobId)));
    }

    [Fact]
    public async Task A_validation_split_holds_out_a_seeded_share_of_the_training_examples()
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"split-{jobId:N}.jsonl", TestData.Dataset(train: 37, validation: 5, lineBytes: 300));
        var body = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TestData.Submission(jobId, url, batchSize: 4, epochs: 2)))!;
        body["validation_split"] = 0.1;
        body["seed"] = 7;
        var id = await _host.SubmitOkAsync(body);

        // floor(37 × 0.1) = 3 held out: 34 train in ceil(34 / 4) = 9 steps per epoch, 5 + 3 validate
        Assert.Equal(9 * 2, (await _host.StatusAsync(id)).TotalSteps);
        Assert.Equal(34, await database.ScalarAsync<int>("select train_examples from {schema}.jobs where job_id = @id", ("id", jobId)));
        Assert.Equal(8, await database.ScalarAsync<int>("select validation_examples from {schema}.jobs where job_id = @id", ("id", jobId)));

        var chosen = ValidationSplitChoice.Choose(37, 0.1, 7);
        Assert.Equal(chosen, ValidationSplitChoice.Choose(37, 0.1, 7)); // the same seed picks the same examples
        Assert.NotEqual(chosen, ValidationSplitChoice.Choose(37, 0.1, 8));
        Assert.Equal(3, chosen.Distinct().Count(p => p is >= 0 and < 37));
    }

    [Fact]
    public async Task A_validation_split_out_of_bounds_is_a_400()
    {
        var jobId = Guid.NewGuid();
        var body = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TestData.Submission(jobId, "http://x/files/a")))!;
        body["validation_split"] = 0.9;
        using var response = await _host.SubmitAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("validation_split", await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> InvalidSubmissions => new()
    {
        { "not json", "invalid JSON" },
        { """{"dataset_url":"http://x/files/a"}""", "job_id" },
        { """{"job_id":"7b0f6a52-5d0e-4f55-9a7e-111111111111","dataset_url":"files/a"}""", "dataset_url" },
        { """{"job_id":"7b0f6a52-5d0e-4f55-9a7e-111111111111","dataset_url":"http://x/files/a"}""", "hyperparameters" },
    };

    [Theory]
    [MemberData(nameof(InvalidSubmissions))]
    public async Task Malformed_submissions_answer_400_json(string body, string expected)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _host.Client.PostAsync("training/submit", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options);
        Assert.Contains(expected, error!.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("base_model", "unsupported base_model")]
    [InlineData("gpu_type", "unsupported gpu_type")]
    [InlineData("batch_size", "batch_size")]
    [InlineData("rank", "lora_rank")]
    [InlineData("callback", "callback_url")]
    public async Task Invalid_configuration_answers_400(string what, string expected)
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"bad-{jobId:N}.jsonl", TestData.Dataset(10, 0));
        var body = what switch
        {
            "base_model" => TestData.Submission(jobId, url, baseModel: "openai/gpt-5"),
            "gpu_type" => TestData.Submission(jobId, url, gpuType: "RTX-4090"),
            "batch_size" => TestData.Submission(jobId, url, batchSize: 0),
            "rank" => TestData.Submission(jobId, url, rank: 0),
            _ => TestData.Submission(jobId, url, callbackUrl: "not a url"),
        };

        using var response = await _host.SubmitAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error, StringComparison.Ordinal);
        Assert.Equal(0, await RowsAsync(jobId));
    }

    [Fact]
    public async Task Dataset_download_failure_answers_422_with_the_reason()
    {
        var jobId = Guid.NewGuid();
        var body = TestData.Submission(jobId, $"{_host.BaseUrl}/files/missing-{jobId:N}.jsonl?signature=x");

        using var response = await _host.SubmitAsync(body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options);
        Assert.Contains("404", error!.Error, StringComparison.Ordinal);
        Assert.Equal(0, await RowsAsync(jobId));
    }

    [Fact]
    public async Task Unreachable_dataset_host_answers_422()
    {
        var jobId = Guid.NewGuid();
        // port 9 (discard) on loopback: connection refused
        using var response = await _host.SubmitAsync(TestData.Submission(jobId, "http://127.0.0.1:9/files/a.jsonl"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("dataset download failed", (await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dataset_without_examples_answers_422()
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"empty-{jobId:N}.jsonl", Encoding.UTF8.GetBytes("\n[1]\nnope\n"));

        using var response = await _host.SubmitAsync(TestData.Submission(jobId, url));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("no training examples", (await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Supported_base_models_are_public()
    {
        Assert.Equal(
            ["mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-Instruct-v0.2", "meta-llama/Llama-2-7b-hf", "TinyLlama/TinyLlama-1.1B-Chat-v1.0"],
            GpuSimulatorRegistration.SupportedBaseModels);
    }
}
