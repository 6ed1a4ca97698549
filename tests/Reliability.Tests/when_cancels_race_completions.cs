using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Reliability.Tests;

/// <summary>One user with 100 jobs at once: more than the per-user limit of active jobs, lifted here.</summary>
public sealed class ManyJobsClusterHost : ClusterHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Training:MaxActiveJobsPerUser"] = "0";
        settings["Limits:RequestsPerSecond"] = "0";
    }
}

/// <summary>
/// 100 jobs whose cluster reports them completed; for each, a cancel and the completing poll run at
/// the same moment. Whoever commits first wins; each job ends with exactly one terminal event.
/// </summary>
public sealed class when_cancels_race_completions(ManyJobsClusterHost platform) : IClassFixture<ManyJobsClusterHost>
{
    [Fact]
    public async Task each_job_has_exactly_one_terminal_event_and_its_status_matches_it()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(20)))["id"]!.GetValue<Guid>();
        var jobs = new List<Guid>();
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromMinutes(3)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
        {
            for (var i = 0; i < 100; i++)
            {
                var created = await platform.Host.Scenario(s =>
                {
                    s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
                    s.StatusCodeShouldBe(201);
                });
                jobs.Add((await created.Data())["id"]!.GetValue<Guid>());
            }
        }));

        platform.Clock.Advance(TimeSpan.FromHours(3)); // the cluster now answers "completed" for all of them

        // the polls run inline through the bus (one tracked session cannot follow 100 at once)
        async Task Poll(Guid id)
        {
            using var scope = platform.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeForTenantAsync(user.Tenant, new PollTrainingJob(id, 1));
        }

        var races = jobs.SelectMany(id => new Func<Task>[]
        {
            () => Poll(id),
            () => platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/jobs/{id}/cancel");
                s.IgnoreStatusCode();
            }),
        }).Select(run => Task.Run(run));
        await Task.WhenAll(races);

        await using var session = platform.Store.QuerySession(user.Tenant);
        var outcomes = new Dictionary<string, int>();
        foreach (var id in jobs)
        {
            var terminal = (await session.Events.FetchStreamAsync(id))
                .Where(e => e.Data is TrainingJobCompleted or TrainingJobCancelled or TrainingJobFailed)
                .ToList();
            Assert.True(terminal.Count == 1, $"job {id} has {terminal.Count} terminal events");
            var view = await session.LoadAsync<LoraPipeline.Training.Jobs.TrainingJob>(id);
            var expected = terminal[0].Data is TrainingJobCompleted ? "Completed" : "Cancelled";
            Assert.Equal(expected, view!.Status.ToString());
            outcomes[expected] = outcomes.GetValueOrDefault(expected) + 1;
        }

        Assert.Equal(100, outcomes.Values.Sum());
    }

    [Fact]
    public async Task fifty_concurrent_creates_with_one_idempotency_key_make_one_job()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(10)))["id"]!.GetValue<Guid>();
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
            s.WithRequestHeader("Idempotency-Key", "one-key");
            s.StatusCodeShouldBe(201);
        }))));

        var ids = new HashSet<Guid>();
        foreach (var answer in answers)
        {
            ids.Add((await answer.Data())["id"]!.GetValue<Guid>());
        }

        Assert.Single(ids);
        await using var session = platform.Store.QuerySession(user.Tenant);
        Assert.Equal(1, await session.Query<LoraPipeline.Training.Jobs.TrainingJob>().CountAsync());
        Assert.Single(await session.Events.FetchStreamAsync(ids.Single()), e => e.Data is TrainingJobQueued);
    }
}
