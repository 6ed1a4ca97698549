using System.ClientModel;
using LoraPipeline.TestKit;
using OpenAI.FineTuning;

namespace LoraPipeline.OpenAi.Tests;

/// <summary>
/// OpenAI's fine-tuning jobs through the official .NET SDK, on the simulated cluster over real HTTP with the
/// test clock: create, run to success, events, checkpoints, the model, pages, cancel and the SDK's typed errors.
/// </summary>
public sealed class when_jobs_are_run_with_the_dotnet_sdk(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task a_job_runs_to_success_with_its_events_checkpoints_result_file_and_model()
    {
        var user = await platform.CreateUserAsync();
        var client = platform.ClientFor(user);
        var file = await platform.UploadAndProcessAsync(client, OpenAiSdk.Jsonl(40));

        var created = await platform.CreateJobAsync(client, file.Id, new FineTuningOptions
        {
            Suffix = "support-bot",
            Seed = 42,
            Metadata = { ["team"] = "support" },
            TrainingMethod = FineTuningTrainingMethod.CreateSupervised(
                HyperparameterBatchSize.CreateSize(4), HyperparameterEpochCount.CreateEpochCount(2), HyperparameterLearningRate.CreateMultiplier(2)),
        });
        Assert.StartsWith("ftjob-", created.JobId);
        Assert.True(created.Status.InProgress);
        Assert.Equal((2, 4, 2f), (created.Hyperparameters.EpochCount, created.Hyperparameters.BatchSize, created.Hyperparameters.LearningRateMultiplier));
        Assert.Equal(("support-bot", 42, "support"), (created.UserProvidedSuffix, created.Seed, created.Metadata["team"]));
        Assert.Equal(file.Id, created.TrainingFileId);

        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, created.JobId, 1);
        FineTuningJob job = await client.GetFineTuningClient().GetJobAsync(created.JobId);

        Assert.Equal(FineTuningStatus.Succeeded, job.Status);
        var model = OpenAiSdk.FineTunedModel(job);
        Assert.Equal($"ft:TinyLlama/TinyLlama-1.1B-Chat-v1.0:support-bot:{OpenAiSdk.NativeId(created.JobId):N}", model);
        Assert.Equal(3760, System.Text.Json.JsonDocument.Parse(job.GetRawResponse().Content).RootElement.GetProperty("trained_tokens").GetInt32()); // 2 epochs of 1880 tokens
        var resultFile = Assert.Single(job.ResultFileIds);
        var log = (await client.GetOpenAIFileClient().DownloadFileAsync(resultFile)).Value.ToString();
        Assert.StartsWith("step,epoch,train_loss,valid_loss,learning_rate\n", log);

        var events = await job.GetEventsAsync(new GetEventsOptions { PageSize = 5 }).ToListAsync();
        Assert.Contains(events, e => e.Kind == FineTuningJobEventKind.Metrics && e.Data.ToString().Contains("train_loss"));
        Assert.Contains(events, e => e.Message.Contains("successfully completed"));
        Assert.True(events.Count > 5); // more than one page, followed by the SDK
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.CreatedAt >= p.Second.CreatedAt)); // newest first

        var checkpoints = await job.GetCheckpointsAsync(new GetCheckpointsOptions()).ToListAsync();
        Assert.NotEmpty(checkpoints);
        Assert.All(checkpoints, c => Assert.StartsWith(model + ":ckpt-step-", c.ModelId));
        Assert.All(checkpoints, c => Assert.Equal(c.StepNumber, c.Metrics.StepNumber));

        var models = (await client.GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Contains(models, m => m.Id == "TinyLlama/TinyLlama-1.1B-Chat-v1.0");
        Assert.Contains(models, m => m.Id == model);
        Assert.Equal(model, (await client.GetOpenAIModelClient().GetModelAsync(model)).Value.Id);
    }

    [Fact]
    public async Task jobs_are_listed_newest_first_across_pages_and_a_cancelled_job_cannot_be_cancelled_again()
    {
        var user = await platform.CreateUserAsync();
        var client = platform.ClientFor(user);
        var file = await platform.UploadAndProcessAsync(client, OpenAiSdk.Jsonl(20));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await platform.CreateJobAsync(client, file.Id)).JobId);
            platform.Clock.Advance(TimeSpan.FromSeconds(1)); // newest first needs distinct creation times
        }

        var listed = await client.GetFineTuningClient().GetJobsAsync(new FineTuningJobCollectionOptions { PageSize = 2 }).ToListAsync();
        Assert.Equal(Enumerable.Reverse(ids), listed.Select(j => j.JobId));

        FineTuningJob cancelled = await client.GetFineTuningClient().GetJobAsync(ids[0]);
        await cancelled.CancelAndUpdateAsync();
        Assert.Equal(FineTuningStatus.Cancelled, cancelled.Status);
        // a 400, not a 409: the SDK would retry a 409 that asking again cannot change
        var again = await OpenAiSdk.FailsAsync(() => cancelled.CancelAndUpdateAsync());
        Assert.Equal(400, again.Status);
        Assert.Contains("cancelled", again.Message);
    }

    [Fact]
    public async Task a_missing_file_a_bad_hyperparameter_and_another_users_job_are_the_sdks_typed_errors()
    {
        var user = await platform.CreateUserAsync();
        var client = platform.ClientFor(user);
        var file = await platform.UploadAndProcessAsync(client, OpenAiSdk.Jsonl(10));
        var job = await platform.CreateJobAsync(client, file.Id);
        var tuning = client.GetFineTuningClient();

        var missing = await OpenAiSdk.FailsAsync(() => tuning.FineTuneAsync("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "file-" + Guid.NewGuid().ToString("N"), false));
        Assert.Equal(404, missing.Status);
        Assert.Contains("training_file", missing.Message);

        var badEpochs = await OpenAiSdk.FailsAsync(() => tuning.FineTuneAsync("TinyLlama/TinyLlama-1.1B-Chat-v1.0", file.Id, false, new FineTuningOptions
        {
            TrainingMethod = FineTuningTrainingMethod.CreateSupervised(
                HyperparameterBatchSize.CreateAuto(), HyperparameterEpochCount.CreateEpochCount(99), HyperparameterLearningRate.CreateAuto()),
        }));
        Assert.Equal(400, badEpochs.Status);
        Assert.Contains("method.supervised.hyperparameters.n_epochs", badEpochs.Message);

        // the native rule's refusal speaks OpenAI's parameter names, not the native API's
        var sameValidation = await OpenAiSdk.FailsAsync(() => tuning.FineTuneAsync(
            "TinyLlama/TinyLlama-1.1B-Chat-v1.0", file.Id, false, new FineTuningOptions { ValidationFile = file.Id }));
        Assert.Equal(400, sameValidation.Status);
        Assert.Contains("validation_file must be another dataset than the training dataset", sameValidation.Message);
        Assert.DoesNotContain("validation_dataset_id", sameValidation.Message);

        var badModel = await OpenAiSdk.FailsAsync(() => tuning.FineTuneAsync("gpt-4o-mini", file.Id, false));
        Assert.Equal(400, badModel.Status);

        var stranger = platform.ClientFor(await platform.CreateUserAsync()).GetFineTuningClient();
        Assert.Equal(404, (await OpenAiSdk.FailsAsync(() => stranger.GetJobAsync(job.JobId))).Status);
        Assert.Equal(404, (await OpenAiSdk.FailsAsync(() => stranger.GetJobAsync("ftjob-" + Guid.NewGuid().ToString("N")))).Status);

        var wrongKey = new OpenAI.OpenAIClient(new ApiKeyCredential("lp_not-a-key"), new OpenAI.OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(new HttpClient(platform.Host.Server.CreateHandler())),
        });
        Assert.Equal(401, (await OpenAiSdk.FailsAsync(() => wrongKey.GetFineTuningClient().GetJobAsync(job.JobId))).Status);
        Assert.Single(await tuning.GetJobsAsync(new FineTuningJobCollectionOptions()).ToListAsync()); // the refused creates left nothing
    }
}
