using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.Platform.Limits;
using LoraPipeline.TestKit;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Reliability.Tests;

/// <summary>The platform with per-user limits small enough to reach in a test.</summary>
public sealed class SmallLimitsHost : ClusterHost
{
    public const int Burst = 60;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Limits:RequestsPerSecond"] = "1";
        settings["Limits:RequestBurst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Datasets:MaxConcurrentUploadsPerUser"] = "1";
        settings["Datasets:MaxDatasetsPerUser"] = "3";
        settings["Datasets:MaxStoredBytesPerUser"] = "200000";
        settings["Training:MaxActiveJobsPerUser"] = "2";
        settings["Training:MaxStreamsPerUser"] = "1";
        settings["Training:StreamLifetime"] = "00:30:00";
    }

    public HttpClient ClientFor(TestUser user)
    {
        var client = Host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.ApiKey);
        return client;
    }

    public int InProgress(string kind, TestUser user) => Services.GetRequiredService<UserConcurrency>().InProgress(kind, user.Id);
}

/// <summary>
/// One user cannot exhaust the platform: each per-user limit answers a problem document that names the limit and
/// when to retry (429 with Retry-After where waiting helps, 403 where the user must delete first), leaves no
/// partial state, and slows no one else.
/// </summary>
public sealed class when_one_user_pushes_the_limits(SmallLimitsHost platform) : IClassFixture<SmallLimitsHost>
{
    [Fact]
    public async Task a_burst_from_one_key_gets_429s_with_retry_after_and_another_key_is_not_slowed()
    {
        var greedy = await platform.CreateUserAsync();
        var other = await platform.CreateUserAsync();
        using var greedyClient = platform.ClientFor(greedy);
        using var otherClient = platform.ClientFor(other);

        var answers = await Task.WhenAll(Enumerable.Range(0, SmallLimitsHost.Burst + 40).Select(_ => greedyClient.GetAsync("/api/datasets")));
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.InRange(refused.Count, 30, 40); // the bucket's 60 pass, at most a few more refill during the burst
        Assert.True(refused[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", refused[0].Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await refused[0].Content.ReadAsStringAsync())!;
        Assert.Equal("requests_per_second", problem["details"]!["limit"]!.GetValue<string>());
        Assert.Contains("retry in", problem["detail"]!.GetValue<string>());

        var others = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => otherClient.GetAsync("/api/datasets")));
        Assert.All(others, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(HttpStatusCode.OK, (await platform.ClientFor(greedy).GetAsync("/health/live")).StatusCode); // health is never limited
    }

    [Fact]
    public async Task a_second_upload_while_one_streams_is_a_429_and_the_first_still_lands()
    {
        var user = await platform.CreateUserAsync();
        using var client = platform.ClientFor(user);
        var slowBody = new GatedStream(Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(5)));
        var first = client.PostAsync("/api/datasets", Form(new StreamContent(slowBody), "slow"));
        await Until(() => platform.InProgress("dataset-uploads", user) == 1);

        var second = await client.PostAsync("/api/datasets", Form(new ByteArrayContent(Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(5))), "second"));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Contains("at the same time", JsonNode.Parse(await second.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());

        slowBody.Open();
        Assert.Equal(HttpStatusCode.Created, (await first).StatusCode);
        Assert.Equal(0, platform.InProgress("dataset-uploads", user));
        var kept = (await (await client.GetAsync("/api/datasets")).Content.ReadAsStringAsync());
        Assert.DoesNotContain("\"second\"", kept);
    }

    [Fact]
    public async Task datasets_past_the_count_or_the_bytes_quota_are_403_and_leave_nothing()
    {
        var counted = await platform.CreateUserAsync();
        for (var i = 0; i < 3; i++)
        {
            await platform.UploadAndValidateAsync(counted, DatasetUploads.CleanJsonl(3));
        }

        var fourth = await platform.Host.Scenario(s =>
        {
            s.As(counted).Post.MultipartFormData(DatasetUploads.Form(Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(3)), "fourth")).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(403);
        });
        Assert.Equal("datasets", (await fourth.Problem(403))["details"]!["limit"]!.GetValue<string>());

        var big = await platform.CreateUserAsync();
        var file = Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(600)); // about 120 kB: one fits in 200 kB, two do not
        Assert.InRange(file.Length, 100_001, 199_999);
        await platform.UploadAndValidateAsync(big, file);
        var filesBefore = Directory.GetFiles(platform.BlobRoot, "*", SearchOption.AllDirectories).Length;
        var full = await platform.Host.Scenario(s =>
        {
            s.As(big).Post.MultipartFormData(DatasetUploads.Form(file, "too much")).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(403);
        });
        var problem = await full.Problem(403);
        Assert.Equal("stored_dataset_bytes", problem["details"]!["limit"]!.GetValue<string>());
        Assert.Contains("?purge=true", problem["detail"]!.GetValue<string>());
        Assert.Equal(filesBefore, Directory.GetFiles(platform.BlobRoot, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task a_third_active_job_is_a_429_until_one_ends()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(10)))["id"]!.GetValue<Guid>();
        var first = await CreateJobAsync(user, dataset, 201);
        await CreateJobAsync(user, dataset, 201);

        var third = await CreateJobAsync(user, dataset, 429);
        Assert.Equal("active_jobs", third["details"]!["limit"]!.GetValue<string>());
        Assert.Equal(2, third["details"]!["value"]!.GetValue<int>());

        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ =>
            platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{first["id"]!.GetValue<Guid>()}/cancel"))));
        await CreateJobAsync(user, dataset, 201);
    }

    [Fact]
    public async Task a_second_live_stream_is_a_429_and_a_stream_past_its_lifetime_ends_and_resumes_from_last_event_id()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(10)))["id"]!.GetValue<Guid>();
        var job = (await CreateJobAsync(user, dataset, 201))["id"]!.GetValue<Guid>();
        using var client = platform.ClientFor(user);

        using var stream = await client.GetAsync($"/api/jobs/{job}/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var firstId = await ReadEventIdAsync(reader);

        using var flood = await client.GetAsync($"/api/jobs/{job}/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.TooManyRequests, flood.StatusCode);
        Assert.Equal("open_streams", JsonNode.Parse(await flood.Content.ReadAsStringAsync())!["details"]!["limit"]!.GetValue<string>());

        platform.Clock.Advance(TimeSpan.FromMinutes(31)); // past the stream's lifetime: it ends, and gives its place back
        Assert.Null(await ReadEventIdAsync(reader));
        await Until(() => platform.InProgress("job-streams", user) == 0);

        var resumed = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{job}/stream");
        resumed.Headers.TryAddWithoutValidation("Last-Event-ID", firstId);
        using var again = await client.SendAsync(resumed, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var resumedReader = new StreamReader(await again.Content.ReadAsStreamAsync());
        // the job as it is now, without the points it had
        Assert.Equal(firstId, await ReadEventIdAsync(resumedReader));
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ =>
            platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{job}/cancel"))));
        var next = await ReadEventIdAsync(resumedReader);
        Assert.True(long.Parse(next!.Split('.')[0]) > long.Parse(firstId!.Split('.')[0]), $"{next} after {firstId}");

        var bad = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{job}/stream");
        bad.Headers.TryAddWithoutValidation("Last-Event-ID", "not-ours");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(bad)).StatusCode);
    }

    private async Task<JsonNode> CreateJobAsync(TestUser user, Guid dataset, int status)
    {
        IScenarioResult? result = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            result = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
                s.StatusCodeShouldBe(status);
            })));
        return status == 201 ? await result!.Data() : await result!.Problem(status);
    }

    private static MultipartFormDataContent Form(HttpContent file, string name)
    {
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        return new MultipartFormDataContent { { file, "file", "data.jsonl" }, { new StringContent(name), "name" } };
    }

    /// <summary>The id of the next event, or null when the stream ends first.</summary>
    private static async Task<string?> ReadEventIdAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                return line["id: ".Length..];
            }
        }

        return null;
    }

    private static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A request body that sends its first bytes, then waits until the test opens it.</summary>
    private sealed class GatedStream(byte[] content) : Stream
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _position;

        public void Open() => _open.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position > 0)
            {
                await _open.Task.WaitAsync(cancellationToken);
            }

            var count = Math.Min(buffer.Length, Math.Min(content.Length - _position, _position == 0 ? 16 : int.MaxValue));
            content.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
