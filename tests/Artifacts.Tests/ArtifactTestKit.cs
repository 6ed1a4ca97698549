using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

internal static class ArtifactTestKit
{
    /// <summary>Uploads a dataset, runs a job to completion and waits for the artifact collection it starts.</summary>
    public static async Task<(Guid JobId, JsonNode Job)> CompletedJobAsync(this ClusterHost platform, TestUser user, int rank = 8, string baseModel = "mistralai/Mistral-7B-v0.1")
    {
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40)))["id"]!.GetValue<Guid>();
        IScenarioResult? created = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            created = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new
                {
                    dataset_id = dataset,
                    preset_id = "fast",
                    gpu_config = new { type = "A100-80GB", count = 1 },
                    hyperparameters = new { epochs = 2, batch_size = 4, rank, alpha = rank * 2, base_model = baseModel },
                }).ToUrl("/api/jobs");
                s.StatusCodeShouldBe(201);
            })));
        var jobId = (await created!.Data())["id"]!.GetValue<Guid>();

        platform.Clock.Advance(TimeSpan.FromHours(3));
        // the completing poll publishes CollectArtifacts; the tracked session waits for it and for the artifact link
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c => c.InvokeForTenantAsync(user.Tenant, new LoraPipeline.Training.Execution.PollTrainingJob(jobId, 1))));
        var job = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data();
        return (jobId, job["job"]!);
    }

    public static async Task<JsonNode> ModelAsync(this ClusterHost platform, TestUser user, Guid modelId) =>
        await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/models/{modelId}"))).Data();

    public static async Task<JsonArray> LinksAsync(this ClusterHost platform, TestUser user, Guid modelId, object? body = null) =>
        (await (await platform.Host.Scenario(s => s.As(user).Post.Json(body ?? new { }).ToUrl($"/api/models/{modelId}/download"))).Data())["links"]!.AsArray();

    /// <summary>Fetches a signed link as any client would: no API key.</summary>
    public static async Task<IScenarioResult> FetchAsync(this ClusterHost platform, string url, int expected = 200, string? range = null) =>
        await platform.Host.Scenario(s =>
        {
            s.Get.Url(new Uri(url).PathAndQuery);
            if (range is not null)
            {
                s.WithRequestHeader("Range", range);
            }

            s.StatusCodeShouldBe(expected);
        });
}
