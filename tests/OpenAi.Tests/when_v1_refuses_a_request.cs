using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.OpenAi.Tests;

/// <summary>
/// Every /v1 refusal is OpenAI's error object, with exactly its four fields, whatever part of the platform
/// refused: the key check, routing, body parsing, a native rule or the module itself.
/// </summary>
public sealed class when_v1_refuses_a_request(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task a_missing_key_an_unknown_route_and_a_malformed_body_answer_openais_error_shape()
    {
        var user = await platform.CreateUserAsync();

        var noKey = await Error(await platform.Host.Scenario(s =>
        {
            s.Get.Url("/v1/fine_tuning/jobs");
            s.StatusCodeShouldBe(401);
        }));
        Assert.Equal("invalid_api_key", noKey["code"]!.GetValue<string>());

        var unknown = await Error(await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url("/v1/assistants");
            s.StatusCodeShouldBe(404);
        }));
        Assert.Equal("invalid_request_error", unknown["type"]!.GetValue<string>());

        var malformed = await Error(await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Text("{\"model\": ").ToUrl("/v1/fine_tuning/jobs");
            s.WithRequestHeader("Content-Type", "application/json");
            s.StatusCodeShouldBe(400);
        }));
        Assert.Equal("invalid_request_error", malformed["type"]!.GetValue<string>());

        var notAFile = await Error(await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { model = "TinyLlama/TinyLlama-1.1B-Chat-v1.0", training_file = "train.jsonl" }).ToUrl("/v1/fine_tuning/jobs");
            s.StatusCodeShouldBe(400);
        }));
        Assert.Equal(("training_file", "invalid_file_id"), (notAFile["param"]!.GetValue<string>(), notAFile["code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task another_users_job_answers_exactly_like_a_job_that_does_not_exist()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(owner, DatasetUploads.CleanJsonl(10)))["id"]!.GetValue<Guid>();
        var created = await (await platform.Host.Scenario(s =>
        {
            s.As(owner).Post.Json(new { model = "TinyLlama/TinyLlama-1.1B-Chat-v1.0", training_file = $"file-{dataset:N}" }).ToUrl("/v1/fine_tuning/jobs");
            s.StatusCodeShouldBeOk();
        })).Json();
        var id = created["id"]!.GetValue<string>();
        var missing = "ftjob-" + Guid.NewGuid().ToString("N");

        foreach (var path in new[] { "", "/events", "/checkpoints" })
        {
            var hidden = await Error(await platform.Host.Scenario(s => { s.As(stranger).Get.Url($"/v1/fine_tuning/jobs/{id}{path}"); s.StatusCodeShouldBe(404); }));
            var absent = await Error(await platform.Host.Scenario(s => { s.As(stranger).Get.Url($"/v1/fine_tuning/jobs/{missing}{path}"); s.StatusCodeShouldBe(404); }));
            Assert.Equal((absent["type"]!.GetValue<string>(), absent["code"]!.GetValue<string>()), (hidden["type"]!.GetValue<string>(), hidden["code"]!.GetValue<string>()));
        }

        await platform.Host.Scenario(s => { s.As(stranger).Post.Json(new { }).ToUrl($"/v1/fine_tuning/jobs/{id}/cancel"); s.StatusCodeShouldBe(404); });
        var still = await (await platform.Host.Scenario(s => s.As(owner).Get.Url($"/v1/fine_tuning/jobs/{id}"))).Json();
        Assert.NotEqual("cancelled", still["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_job_the_hard_budget_refuses_is_a_400_the_sdks_do_not_retry_and_nothing_is_queued()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(10)))["id"]!.GetValue<Guid>();
        await platform.Host.Scenario(s =>
        {
            s.As(user).Put.Json(new { monthly_limit = 0.01m, hard_limit = true }).ToUrl("/api/budget");
            s.StatusCodeShouldBeOk();
        });

        var refused = await Error(await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { model = "TinyLlama/TinyLlama-1.1B-Chat-v1.0", training_file = $"file-{dataset:N}" }).ToUrl("/v1/fine_tuning/jobs");
            s.StatusCodeShouldBe(400);
        }));

        Assert.Equal("budget_exceeded", refused["code"]!.GetValue<string>());
        Assert.Contains("hard monthly budget", refused["message"]!.GetValue<string>());
        var jobs = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/v1/fine_tuning/jobs"))).Json();
        Assert.Empty(jobs["data"]!.AsArray());
    }

    /// <summary>The error object, checked to have exactly OpenAI's four fields.</summary>
    private static async Task<JsonNode> Error(IScenarioResult result)
    {
        var body = await result.Json();
        var error = body["error"]!.AsObject();
        Assert.Equal(["message", "type", "param", "code"], error.Select(p => p.Key));
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.Single(body.AsObject());
        return error;
    }
}
