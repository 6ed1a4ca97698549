using JasperFx.Events.Projections;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Marten.Exceptions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Wolverine;
using Wolverine.ErrorHandling;

namespace LoraPipeline.Training;

/// <summary>
/// Training: presets, GPU catalogue, estimates, jobs as event streams, submission to and polling
/// of the GPU cluster, cost accrual, cancellation, audit history and live updates.
/// </summary>
public static class TrainingModule
{
    public static IHostApplicationBuilder AddTraining(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.Section);
        services.AddOptions<GpuCatalogueOptions>().BindConfiguration(GpuCatalogueOptions.Section)
            .Validate(o => o.Effective.All(g => g.PricePerGpuHour > 0 && g.ThroughputTokensPerSecond > 0), "Gpus: prices and throughputs must be positive.")
            .ValidateOnStart();
        services.AddOptions<GpuClusterOptions>().BindConfiguration(GpuClusterOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ApiKey), "GpuCluster:ApiKey is required (run.sh generates one for development).")
            .Validate(o => !o.UseCallbacks || o.CallbackSecret.Length >= GpuClusterOptions.MinCallbackSecretLength, "GpuCluster:CallbackSecret needs at least 16 characters when callbacks are on.")
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.MaxSubmitAttempts > 0 && o.StatusUnreadableFor > TimeSpan.Zero && o.MaxRecoveries >= 0
                           && o.DownloadRetries >= 0, "GpuCluster: intervals and limits must be positive.")
            .Validate(o => o.IsSimulated || Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "GpuCluster:BaseUrl must be an absolute URL in External mode.")
            .ValidateOnStart();

        services.AddHttpClient<GpuClusterClient>((sp, http) =>
            {
                var cluster = sp.GetRequiredService<IOptions<GpuClusterOptions>>().Value;
                var baseUrl = cluster.BaseUrl ?? sp.GetRequiredService<IOptions<StorageOptions>>().Value.PublicBaseUrl.TrimEnd('/') + "/gpu-sim";
                http.BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns time limits
            })
            .AddResilienceHandler("gpu-cluster", (pipeline, context) =>
            {
                var cluster = context.ServiceProvider.GetRequiredService<IOptions<GpuClusterOptions>>().Value;
                pipeline.AddTimeout(cluster.RequestTimeout * 3 + TimeSpan.FromSeconds(2));
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                });
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 20,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(5),
                });
                pipeline.AddTimeout(cluster.RequestTimeout);
            });

        services.AddHttpClient(ClusterArtifactFiles.DownloadClient, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("gpu-cluster-downloads", (pipeline, context) =>
            {
                // A storage hiccup on one file would otherwise fail the whole collection attempt (and,
                // attempts being few and spread over minutes, sometimes the collection). Only the answer's
                // headers are retried: the body streams, with no time limit, as before.
                var cluster = context.ServiceProvider.GetRequiredService<IOptions<GpuClusterOptions>>().Value;
                if (cluster.DownloadRetries > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = cluster.DownloadRetries,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = cluster.DownloadRetryDelay,
                        MaxDelay = MaxDownloadRetryWait,
                        // a Retry-After sets the wait, up to the cap: one asking for an hour would hold the collection that long
                        ShouldRetryAfterHeader = false,
                        DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                            args.Outcome.Result?.Headers.RetryAfter?.Delta is { } asked ? TimeSpan.FromTicks(Math.Min(asked.Ticks, MaxDownloadRetryWait.Ticks)) : null),
                    });
                }
            });
        services.AddTransient<IGpuClusterArtifacts, ClusterArtifactFiles>();
        services.AddSingleton<ClusterCallbackUrls>();
        services.AddSingleton<JobWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<JobWatch>());
        services.AddSingleton<ITrainingJobs, TrainingJobQueries>();
        // scoped: it sends its changes through the scope's message bus
        services.AddScoped<ITrainingJobCommands, TrainingJobCommands>();
        services.Replace(ServiceDescriptor.Singleton<IDatasetUsage, ActiveJobsUseDatasets>());
        services.TryAddSingleton<IJobAdmission, AdmitEveryJob>();
        services.TryAddSingleton<IJobCostRecords, NoCostRecords>();

        services.ConfigureMarten(opts =>
        {
            opts.Projections.Add<TrainingJobProjection>(ProjectionLifecycle.Inline);
            opts.Projections.Add<JobMetricPointProjection>(ProjectionLifecycle.Inline);
            opts.Schema.For<TrainingJob>().Duplicate(j => j.CreatedAt).Duplicate(j => j.Status).Duplicate(j => j.DatasetId);
            opts.Schema.For<JobMetricPoint>().Duplicate(p => p.JobId).Duplicate(p => p.Step);
            opts.Schema.For<SeenCallbackSignature>().Duplicate(s => s.SeenAt);
        });

        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(TrainingModule).Assembly);
            // typed HttpClients come from factory lambdas the code generator cannot inline: resolve them
            opts.CodeGeneration.AlwaysUseServiceLocationFor<GpuClusterClient>();
            opts.CodeGeneration.AlwaysUseServiceLocationFor<IGpuClusterArtifacts>();
            // a create racing another with the same idempotency key: run again, find the winner's job
            opts.OnException<ExistingStreamIdCollisionException>().RetryOnce();

            // Polls and submissions mostly wait on HTTP and PostgreSQL: the default of max(cores, 5)
            // messages at a time would cap 10,000 jobs' polls near 330/s on this machine.
            opts.PublishMessage<PollTrainingJob>().ToLocalQueue(JobPollQueue);
            opts.LocalQueue(JobPollQueue).MaximumParallelMessages(48).UseDurableInbox();
            // Submissions come in bursts (a batch of creates): more than a few at once only contends.
            opts.PublishMessage<SubmitTrainingJob>().ToLocalQueue(SubmissionQueue);
            opts.LocalQueue(SubmissionQueue).MaximumParallelMessages(8).UseDurableInbox();
            opts.PublishMessage<ApplyClusterReport>().ToLocalQueue(ReportQueue);
            opts.LocalQueue(ReportQueue).MaximumParallelMessages(16).UseDurableInbox();
        });
        return builder;
    }

    /// <summary>The longest a download waits before its next try, whatever the cluster's Retry-After says.</summary>
    private static readonly TimeSpan MaxDownloadRetryWait = TimeSpan.FromSeconds(30);

    public const string JobPollQueue = "job-polls";
    public const string SubmissionQueue = "job-submissions";
    public const string ReportQueue = "job-reports";
}
