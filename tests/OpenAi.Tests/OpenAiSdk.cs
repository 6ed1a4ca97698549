using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using OpenAI;
using OpenAI.Files;
using OpenAI.FineTuning;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.OpenAi.Tests;

/// <summary>
/// The official OpenAI .NET SDK, unchanged, pointed at the platform: only its endpoint (the test server's /v1)
/// and the key differ from a call to OpenAI. Background work the calls start is waited for with tracked sessions.
/// </summary>
internal static class OpenAiSdk
{
    public static OpenAIClient ClientFor(this PlatformHost platform, TestUser user)
    {
        var http = new HttpClient(platform.Host.Server.CreateHandler()) { Timeout = TimeSpan.FromSeconds(60) };
        return new OpenAIClient(new ApiKeyCredential(user.ApiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new HttpClientPipelineTransport(http),
        });
    }

    public static string Jsonl(int examples) => DatasetUploads.CleanJsonl(examples);

    /// <summary>Uploads with the SDK and waits for the validation the upload queued.</summary>
    public static async Task<OpenAIFile> UploadAndProcessAsync(this PlatformHost platform, OpenAIClient client, string jsonl, string fileName = "train.jsonl")
    {
        OpenAIFile? uploaded = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
        {
            uploaded = await client.GetOpenAIFileClient().UploadFileAsync(
                new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), fileName, FileUploadPurpose.FineTune);
        }));
        return (await client.GetOpenAIFileClient().GetFileAsync(uploaded!.Id)).Value;
    }

    /// <summary>Creates a job with the SDK and waits until its submission to the cluster has been handled.</summary>
    public static async Task<FineTuningJob> CreateJobAsync(this PlatformHost platform, OpenAIClient client, string fileId, FineTuningOptions? options = null)
    {
        FineTuningJob? job = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
        {
            job = await client.GetFineTuningClient().FineTuneAsync("TinyLlama/TinyLlama-1.1B-Chat-v1.0", fileId, waitUntilCompleted: false,
                options ?? new FineTuningOptions
                {
                    TrainingMethod = FineTuningTrainingMethod.CreateSupervised(
                        HyperparameterBatchSize.CreateSize(4), HyperparameterEpochCount.CreateEpochCount(2), HyperparameterLearningRate.CreateAuto()),
                });
        }));
        return job!;
    }

    /// <summary>The .NET SDK does not surface <c>fine_tuned_model</c> as a property: read from the job's own response.</summary>
    public static string? FineTunedModel(FineTuningJob job) =>
        System.Text.Json.JsonDocument.Parse(job.GetRawResponse().Content).RootElement.GetProperty("fine_tuned_model").GetString();

    public static Guid NativeId(string openAiId) => Guid.ParseExact(openAiId[(openAiId.LastIndexOf('-') + 1)..], "N");

    /// <summary>Runs poll <paramref name="pollNumber"/> of a job now, and what it sets off (collection of a finished job's model).</summary>
    public static Task PollAsync(this ClusterHost platform, TestUser user, string jobId, int pollNumber) =>
        platform.Host.InvokeMessageAndWaitAsync(new PollTrainingJob(NativeId(jobId), pollNumber), user.Tenant, 60_000);

    public static async Task<ClientResultException> FailsAsync(Func<Task> call) => await Assert.ThrowsAsync<ClientResultException>(call);
}
