using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Alba;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using LoraPipeline.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Reliability.Tests;

/// <summary>An owner with a ready dataset, a failed dataset and a running job; a stranger; a revoked key.</summary>
public sealed class HostileInputHost : ClusterHost
{
    public TestUser Owner { get; private set; } = null!;
    public TestUser Stranger { get; private set; } = null!;
    public TestUser Revoked { get; private set; } = null!;
    public Guid ReadyDataset { get; private set; }
    public Guid FailedDataset { get; private set; }
    public Guid Job { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Owner = await CreateUserAsync();
        Stranger = await CreateUserAsync();
        Revoked = await CreateUserAsync();
        await using (var session = Store.LightweightSession())
        {
            await Accounts.RevokeKeyAsync(session, Revoked.KeyId, TimeProvider.System);
        }

        ReadyDataset = (await this.UploadAndValidateAsync(Owner, DatasetUploads.CleanJsonl(10)))["id"]!.GetValue<Guid>();
        FailedDataset = (await this.UploadAndValidateAsync(Owner, "{\"messages\": []}\n"))["id"]!.GetValue<Guid>();
        IScenarioResult? created = null;
        await Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            created = await Host.Scenario(s =>
            {
                s.As(Owner).Post.Json(new { dataset_id = ReadyDataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
                s.StatusCodeShouldBe(201);
            })));
        Job = (await created!.Data())["id"]!.GetValue<Guid>();
    }

    /// <summary>Every event and stream of this host: a request that changes nothing leaves it equal.</summary>
    public async Task<long> StateAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select (select count(*) from \"{Schema}\".mt_events) + (select count(*) from \"{Schema}\".mt_streams)", connection);
        var rows = (long)(await command.ExecuteScalarAsync())!;
        var blobs = Directory.Exists(BlobRoot) ? Directory.GetFiles(BlobRoot, "*", SearchOption.AllDirectories).Length : 0;
        return rows * 1_000_000 + blobs;
    }
}

/// <summary>
/// A catalogue of malformed or hostile requests. Each is answered with its 4xx problem document
/// (never a 500) and changes no state: no event, no stream, no stored file.
/// </summary>
public sealed class when_hostile_requests_arrive(HostileInputHost platform) : IClassFixture<HostileInputHost>
{
    public sealed record Attack(string Name, int Status, Action<Scenario, HostileInputHost> Request)
    {
        public override string ToString() => Name;
    }

    private static void Json(Scenario s, string method, string url, string body, string contentType = "application/json") =>
        s.ConfigureHttpContext(c =>
        {
            c.Request.Method = method;
            var query = url.IndexOf('?', StringComparison.Ordinal);
            c.Request.Path = query < 0 ? url : url[..query];
            c.Request.QueryString = query < 0 ? default : new Microsoft.AspNetCore.Http.QueryString(url[query..]);
            c.Request.ContentType = contentType;
            var bytes = Encoding.UTF8.GetBytes(body);
            c.Request.Body = new MemoryStream(bytes);
            c.Request.ContentLength = bytes.Length;
        });

    private static string JobBody(HostileInputHost h, string hyperparameters = "{}", string gpu = "{\"type\":\"H100\",\"count\":1}", string preset = "\"fast\"", Guid? dataset = null) =>
        $"{{\"dataset_id\":\"{dataset ?? h.ReadyDataset}\",\"preset_id\":{preset},\"gpu_config\":{gpu},\"hyperparameters\":{hyperparameters}}}";

    private static MultipartFormDataContent Upload(byte[] file, string fileName, string contentType, string? name = "x")
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(content, "file", fileName);
        if (name is not null)
        {
            form.Add(new StringContent(name), "name");
        }

        return form;
    }

    public static TheoryData<Attack> Catalogue() => new(
    [
        // keys
        new("no API key", 401, (s, _) => { s.RemoveRequestHeader("Authorization"); s.Get.Url("/api/me"); }),
        new("malformed bearer key", 401, (s, _) => { s.WithRequestHeader("Authorization", "Bearer ' OR '1'='1"); s.Get.Url("/api/datasets"); }),
        new("basic auth instead of a key", 401, (s, _) => { s.WithRequestHeader("Authorization", "Basic YWRtaW46YWRtaW4="); s.Get.Url("/api/jobs"); }),
        new("revoked key", 401, (s, h) => s.As(h.Revoked).Get.Url("/api/me")),
        new("key with one character changed", 401, (s, h) => { s.WithRequestHeader("Authorization", "Bearer " + h.Owner.ApiKey[..^1] + (h.Owner.ApiKey[^1] == 'x' ? 'y' : 'x')); s.Get.Url("/api/me"); }),
        new("well-formed key of no one", 401, (s, _) => { s.WithRequestHeader("Authorization", "Bearer " + ApiKeySecret.Generate()); s.Post.Json(new { }).ToUrl("/api/jobs"); }),

        // bodies
        new("truncated JSON", 400, (s, h) => Json(s, "POST", "/api/jobs/estimate", "{\"dataset_id\": ")),
        new("JSON array instead of object", 400, (s, h) => Json(s, "POST", "/api/jobs", "[1,2,3]")),
        new("number where an id belongs", 400, (s, h) => Json(s, "POST", "/api/jobs", "{\"dataset_id\": 5}")),
        new("string where a number belongs", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"batch_size\":\"four\"}"))),
        new("batch size 0", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"batch_size\":0}"))),
        new("21 epochs", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"epochs\":21}"))),
        new("learning rate 1", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"learning_rate\":1}"))),
        new("rank 1000", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"rank\":1000}"))),
        new("negative dropout", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"dropout\":-0.1}"))),
        new("0 GPUs", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, gpu: "{\"type\":\"H100\",\"count\":0}"))),
        new("unknown GPU", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, gpu: "{\"type\":\"TPUv5\",\"count\":1}"))),
        new("SQL in the preset id", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, preset: "\"fast'; drop table mt_events;--\""))),
        new("script in the base model", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"base_model\":\"<script>alert(1)</script>\"}"))),
        new("number overflow", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, "{\"epochs\":99999999999999999999}"))),
        new("text/plain body", 415, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h), "text/plain")),
        new("11 MB body", 413, (s, h) => Json(s, "POST", "/api/jobs/estimate", "{\"x\":\"" + new string('a', 11 * 1024 * 1024) + "\"}")),
        new("300-character idempotency key", 400, (s, h) => { Json(s, "POST", "/api/jobs", JobBody(h)); s.WithRequestHeader("Idempotency-Key", new string('k', 300)); }),
        new("dataset that failed validation", 400, (s, h) => Json(s, "POST", "/api/jobs", JobBody(h, dataset: h.FailedDataset))),
        new("null as the job body", 400, (s, h) => Json(s, "POST", "/api/jobs", "null")),
        new("null as the estimate body", 400, (s, h) => Json(s, "POST", "/api/jobs/estimate", " null ")),
        new("null as the budget", 400, (s, h) => Json(s, "PUT", "/api/budget", "null")),
        new("a string as the revalidation body", 400, (s, h) => Json(s, "POST", $"/api/datasets/{h.ReadyDataset}/validate", "\"again\"")),
        new("multipart upload cut off before its end", 400, (s, h) => Json(s, "POST", "/api/datasets", "--zz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx", "multipart/form-data; boundary=zz")),
        new("multipart upload of garbage", 400, (s, h) => Json(s, "POST", "/api/datasets", "garbage", "multipart/form-data; boundary=zz")),
        new("budget that is not a number", 400, (s, h) => Json(s, "PUT", "/api/budget", "{\"monthly_limit\":\"lots\"}")),
        new("negative budget", 400, (s, h) => Json(s, "PUT", "/api/budget", "{\"monthly_limit\":-1}")),
        new("script as dataset format", 400, (s, h) => Json(s, "POST", $"/api/datasets/{h.ReadyDataset}/validate", "{\"format\":\"<script>alert(1)</script>\"}")),

        // query strings
        new("negative limit", 400, (s, _) => s.Get.Url("/api/jobs?limit=-1")),
        new("SQL in a status filter", 400, (s, _) => s.Get.Url("/api/jobs?status=running'%20OR%201=1--")),
        new("a number as a job status", 400, (s, _) => s.Get.Url("/api/jobs?status=2")),
        new("a list of dataset statuses", 400, (s, _) => s.Get.Url("/api/datasets?status=validating,ready")),
        new("page that is not a number", 400, (s, _) => s.Get.Url("/api/datasets?page=abc")),
        new("script as as_of", 400, (s, h) => s.Get.Url($"/api/jobs/{h.Job}?as_of=%3Cscript%3E")),
        new("February 30th", 400, (s, _) => s.Get.Url("/api/costs?start_date=2026-02-30&end_date=2026-03-01")),
        new("path in a period", 400, (s, _) => s.Get.Url("/api/costs?period=../../etc/passwd")),
        new("SQL in a sort", 400, (s, _) => s.Get.Url("/api/models?sort=name;drop%20table%20x")),
        new("a million notifications", 400, (s, _) => s.Get.Url("/api/notifications?limit=1000000")),

        // other users' ids and missing ids
        new("another user's job", 404, (s, h) => s.As(h.Stranger).Get.Url($"/api/jobs/{h.Job}")),
        new("cancelling another user's job", 404, (s, h) => s.As(h.Stranger).Post.Url($"/api/jobs/{h.Job}/cancel")),
        new("another user's job history", 404, (s, h) => s.As(h.Stranger).Get.Url($"/api/jobs/{h.Job}/events")),
        new("another user's dataset", 404, (s, h) => s.As(h.Stranger).Get.Url($"/api/datasets/{h.ReadyDataset}")),
        new("deleting another user's dataset", 404, (s, h) => s.As(h.Stranger).Delete.Url($"/api/datasets/{h.ReadyDataset}")),
        new("estimating on another user's dataset", 404, (s, h) => { s.As(h.Stranger); Json(s, "POST", "/api/jobs/estimate", JobBody(h)); }),
        new("a notification that does not exist", 404, (s, _) => Json(s, "PATCH", $"/api/notifications/{Guid.NewGuid()}/read", "{}")),
        new("downloading a model that does not exist", 404, (s, _) => Json(s, "POST", $"/api/models/{Guid.NewGuid()}/download", "{}")),
        new("an id that is not a Guid", 404, (s, _) => s.Get.Url("/api/jobs/1;drop%20table%20mt_events")),

        // signed links and callbacks
        new("path traversal in a file link", 403, (s, h) => s.Get.Url($"/files/lora-datasets/..%2F..%2Fetc/passwd?expires=9999999999&signature=x")),
        new("forged file signature", 403, (s, h) => s.Get.Url($"/files/lora-datasets/{h.Owner.Id}/{h.ReadyDataset}/dataset.jsonl?expires=9999999999&signature=AAAA")),
        new("expired file link", 403, (s, h) =>
        {
            var link = h.Services.GetRequiredService<FileLinkSigner>().Sign(new BlobLocation(Buckets.Datasets, $"{h.Owner.Id}/{h.ReadyDataset}/dataset.jsonl"), TimeSpan.FromSeconds(-5));
            s.Get.Url(new Uri(link.Url).PathAndQuery);
        }),
        new("file link without a file", 403, (s, _) => s.Get.Url("/files/lora-datasets/")),
        new("unknown bucket", 403, (s, _) => s.Get.Url("/files/secrets/x.json?expires=9999999999&signature=x")),
        new("unsigned cluster callback", 401, (s, h) => Json(s, "POST", $"/api/gpu-callbacks/{h.Owner.Id}/{h.Job}", "{\"external_job_id\":\"x\",\"status\":\"completed\"}")),
        new("callback with a forged signature", 401, (s, h) =>
        {
            Json(s, "POST", $"/api/gpu-callbacks/{h.Owner.Id}/{h.Job}", "{\"external_job_id\":\"x\",\"status\":\"completed\"}");
            s.WithRequestHeader("X-Cluster-Timestamp", h.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            s.WithRequestHeader("X-Cluster-Signature", "sha256=" + new string('0', 64));
        }),

        // uploads
        new("upload that is not multipart", 415, (s, _) => Json(s, "POST", "/api/datasets", "{\"name\":\"x\"}")),
        new("shell script upload with a traversal name", 415, (s, _) => s.Post.MultipartFormData(Upload("#!/bin/sh\nrm -rf /"u8.ToArray(), "../../evil.sh", "text/x-sh")).ToUrl("/api/datasets")),
        new("binary upload named .jsonl", 415, (s, _) => s.Post.MultipartFormData(Upload([0x7F, 0x45, 0x4C, 0x46, 0, 0, 0, 0], "model.jsonl", "application/octet-stream")).ToUrl("/api/datasets")),
        new("upload without a name", 400, (s, _) => s.Post.MultipartFormData(Upload("{}\n"u8.ToArray(), "a.jsonl", "application/jsonl", name: null)).ToUrl("/api/datasets")),
        new("upload with two files", 400, (s, _) =>
        {
            var form = Upload("{}\n"u8.ToArray(), "a.jsonl", "application/jsonl");
            form.Add(new ByteArrayContent("{}\n"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/jsonl") } }, "file", "b.jsonl");
            s.Post.MultipartFormData(form).ToUrl("/api/datasets");
        }),
    ]);

    [Theory]
    [MemberData(nameof(Catalogue))]
    public async Task it_is_answered_with_a_4xx_problem_and_changes_nothing(Attack attack)
    {
        var before = await platform.StateAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(platform.Owner); // the attack may replace or remove the key
            attack.Request(s, platform);
            s.IgnoreStatusCode();
        });

        Assert.True(result.Context.Response.StatusCode == attack.Status,
            $"{attack.Name}: expected {attack.Status}, got {result.Context.Response.StatusCode}: {await result.ReadAsTextAsync()}");
        await result.Problem(attack.Status);
        Assert.Equal(before, await platform.StateAsync());
    }

    [Fact]
    public void the_catalogue_has_at_least_forty_cases() => Assert.True(Catalogue().Count >= 40);

    [Fact]
    public async Task sql_and_script_fragments_in_names_are_stored_verbatim_and_harm_nothing()
    {
        const string name = "'; drop table mt_events; -- <script>alert('x')</script>";
        var dataset = await platform.UploadAndValidateAsync(platform.Owner, DatasetUploads.CleanJsonl(3), name);
        Assert.Equal(name, dataset["name"]!.GetValue<string>());
        var again = await (await platform.Host.Scenario(s => s.As(platform.Owner).Get.Url($"/api/datasets/{dataset["id"]}"))).Data();
        Assert.Equal(name, again["name"]!.GetValue<string>());
    }
}
