using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>Creating jobs and driving their polls, every step waited for with tracked sessions.</summary>
internal static class JobTestKit
{
    public static async Task<Guid> ReadyDatasetAsync(this ClusterHost platform, TestUser user, int examples = 40) =>
        (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(examples)))["id"]!.GetValue<Guid>();

    /// <summary>Creates a job and waits until its submission has been handled.</summary>
    public static async Task<JsonNode> CreateJobAsync(this ClusterHost platform, TestUser user, Guid datasetId, object? hyperparameters = null,
        string gpu = "A100-80GB", int count = 1, string? idempotencyKey = null)
    {
        IScenarioResult? result = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
        {
            result = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new
                {
                    dataset_id = datasetId,
                    preset_id = "fast",
                    gpu_config = new { type = gpu, count },
                    hyperparameters = hyperparameters ?? new { epochs = 2, batch_size = 4 },
                }).ToUrl("/api/jobs");
                if (idempotencyKey is not null)
                {
                    s.WithRequestHeader("Idempotency-Key", idempotencyKey);
                }

                s.StatusCodeShouldBe(201);
            });
        }));
        return await result!.Data();
    }

    public static async Task<JsonNode> JobAsync(this ClusterHost platform, TestUser user, Guid jobId) =>
        await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data();

    /// <summary>The job's state as Training keeps it, bookkeeping included (the API shows less).</summary>
    public static async Task<Jobs.TrainingJob> StoredJobAsync(this ClusterHost platform, TestUser user, Guid jobId)
    {
        await using var session = platform.Store.QuerySession(user.Tenant);
        return (await session.LoadAsync<Jobs.TrainingJob>(jobId))!;
    }

    /// <summary>Runs poll <paramref name="pollNumber"/> of a job now (polls are not scheduled by themselves in these tests).</summary>
    public static async Task PollAsync(this ClusterHost platform, TestUser user, Guid jobId, int pollNumber) =>
        await platform.Host.InvokeMessageAndWaitAsync(new PollTrainingJob(jobId, pollNumber), user.Tenant, 60_000);

    /// <summary>Runs submission attempt <paramref name="attempt"/> now (retries are scheduled an hour out in these tests).</summary>
    public static async Task SubmitAttemptAsync(this ClusterHost platform, TestUser user, Guid jobId, int attempt) =>
        await platform.Host.InvokeMessageAndWaitAsync(new SubmitTrainingJob(jobId, attempt), user.Tenant, 60_000);

    /// <summary>Moves the clock far enough for any small job to finish on the simulator, then polls.</summary>
    public static async Task<JsonNode> RunToEndAsync(this ClusterHost platform, TestUser user, Guid jobId, int pollNumber = 1)
    {
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, jobId, pollNumber);
        return await platform.JobAsync(user, jobId);
    }

    /// <summary>Cancels a job and waits for the cluster's side of it too: the cancel sent there and its confirmation.</summary>
    public static async Task<JsonNode> CancelAsync(this ClusterHost platform, TestUser user, Guid jobId)
    {
        JsonNode cancelled = null!;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            cancelled = await (await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{jobId}/cancel"))).Data()));
        return cancelled;
    }

    public static async Task<List<string>> EventTypesAsync(this ClusterHost platform, TestUser user, Guid jobId)
    {
        var history = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}/events"))).Data();
        return history["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).ToList();
    }
}
