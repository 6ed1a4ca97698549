using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.SlurmGateway.Tests;

/// <summary>Requeue (preemption), pause and resume, and a gateway restart, on a real Slurm with the real trainer.</summary>
public sealed class when_slurm_interrupts_a_job(SlurmPlatform platform) : IClassFixture<SlurmPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [SlurmFact]
    public async Task a_job_requeued_by_slurm_recovers_from_its_checkpoint_and_completes_with_one_recovery()
    {
        var user = await platform.CreateUserAsync();
        var id = await platform.CreateJobAsync(user, epochs: 20);
        var external = await RunningWithCheckpointAsync(user, id);
        var slurmJobId = platform.SlurmJobIds(external).Single();

        SlurmCluster.Scontrol("requeue", slurmJobId.ToString()); // what a preemption with PreemptMode=REQUEUE does
        var recovering = await platform.WaitForJobAsync(user, id, v => v.Status() == "recovering" || v["job"]!["is_terminal"]!.GetValue<bool>(), Patience, "recovering");
        Assert.Equal("recovering", recovering.Status());

        var done = await DoneAsync(user, id);
        var job = done["job"]!;
        Assert.Equal(1, job["recovery_count"]!.GetValue<int>());
        Assert.Equal(2, job["attempt"]!.GetValue<int>());
        Assert.Equal([slurmJobId], platform.SlurmJobIds(external)); // Slurm restarted the same job: no second submit
        var attempts = platform.GatewayState(external)["attempts"]!.AsArray();
        Assert.Equal("preempted", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.True(attempts[1]!["from_step"]!.GetValue<int>() >= 4, "the second attempt did not start from a checkpoint");
        Assert.Contains("\"type\":\"resumed\"", File.ReadAllText(ProgressFile(external)));
        AssertEveryStepOnce(done, 120);
    }

    [SlurmFact]
    public async Task a_paused_job_releases_its_gpus_and_resumes_from_its_checkpoint_to_the_end()
    {
        var user = await platform.CreateUserAsync();
        // 240 steps: long enough that the trainer is still at it when the pause reaches Slurm on a loaded machine
        // (at 120 it once finished first, and Slurm had no GPUs left to release)
        var id = await platform.CreateJobAsync(user, epochs: 20, batchSize: 2);
        var external = await RunningWithCheckpointAsync(user, id);
        var first = platform.SlurmJobIds(external).Single();

        await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url($"/api/jobs/{id}/pause");
            s.StatusCodeShouldBe(202);
        });
        await platform.WaitForJobAsync(user, id, v => v.Status() == "paused", Patience, "paused");
        await WaitForAsync(() => SlurmCluster.Scontrol("show", "job", first.ToString()).Contains("JobState=CANCELLED"), "Slurm to release the GPUs");

        await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url($"/api/jobs/{id}/resume");
            s.StatusCodeShouldBe(202);
        });
        var done = await DoneAsync(user, id);
        Assert.Equal(0, done["job"]!["recovery_count"]!.GetValue<int>());
        var slurmJobs = platform.SlurmJobIds(external);
        Assert.Equal(2, slurmJobs.Count);
        Assert.Equal(first, slurmJobs[0]);
        var attempts = platform.GatewayState(external)["attempts"]!.AsArray();
        Assert.Equal(["paused", "completed"], attempts.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.True(attempts[1]!["from_step"]!.GetValue<int>() >= 4);
        AssertEveryStepOnce(done, 240);
    }

    [SlurmFact]
    public async Task a_gateway_restarted_mid_job_loses_and_doubles_nothing()
    {
        var user = await platform.CreateUserAsync();
        var id = await platform.CreateJobAsync(user, epochs: 12);
        var external = await RunningWithCheckpointAsync(user, id);

        await platform.StopGatewayAsync();
        var steps = StepLines(external);
        await WaitForAsync(() => StepLines(external) > steps, "the trainer to carry on while the gateway is down");
        await platform.RestartGatewayAsync();

        var done = await DoneAsync(user, id);
        Assert.Single(platform.SlurmJobIds(external));
        Assert.Equal(1, done["job"]!["attempt"]!.GetValue<int>());
        AssertEveryStepOnce(done, 72);
        var models = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/models"))).Data();
        Assert.Equal(1, models["pagination"]!["total"]!.GetValue<long>());
    }

    [SlurmFact]
    public async Task a_slurm_controller_restarted_mid_job_loses_and_doubles_nothing()
    {
        var user = await platform.CreateUserAsync();
        var id = await platform.CreateJobAsync(user, epochs: 12);
        var external = await RunningWithCheckpointAsync(user, id);

        SlurmCluster.StopController();
        try
        {
            var steps = StepLines(external);
            await WaitForAsync(() => StepLines(external) > steps, "the trainer to carry on while slurmctld is down");
            // the gateway cannot ask Slurm meanwhile: a passing failure, never a lost job (which would fail it)
            Assert.Equal("running", (await platform.JobAsync(user, id)).Status());
        }
        finally
        {
            SlurmCluster.StartStopped();
        }

        var done = await DoneAsync(user, id);
        Assert.Single(platform.SlurmJobIds(external));
        Assert.Equal(1, done["job"]!["attempt"]!.GetValue<int>());
        AssertEveryStepOnce(done, 72);
    }

    private async Task<string> RunningWithCheckpointAsync(TestUser user, Guid id)
    {
        var running = await platform.WaitForJobAsync(user, id, v => v.Status() == "running" && v["job"]!["current_step"]!.GetValue<int>() >= 6
            || v["job"]!["is_terminal"]!.GetValue<bool>(), Patience, "a checkpoint");
        Assert.Equal("running", running.Status());
        return running["job"]!["external_job_id"]!.GetValue<string>();
    }

    private async Task<JsonNode> DoneAsync(TestUser user, Guid id)
    {
        var done = await platform.WaitForJobAsync(user, id, v => v["job"]!["is_terminal"]!.GetValue<bool>() && (v.Status() != "completed" || v["job"]!["artifact_id"] is not null),
            Patience, "the end");
        Assert.True(done.Status() == "completed", done["job"]!.ToJsonString());
        return done;
    }

    private static void AssertEveryStepOnce(JsonNode view, int steps)
    {
        // each step once, none missing, up to the last (the job view shows the latest 100 points)
        var recorded = view["metrics"]!.AsArray().Select(m => m!["step"]!.GetValue<int>()).ToList();
        Assert.Equal(Math.Min(steps, 100), recorded.Count);
        Assert.Equal(Enumerable.Range(steps - recorded.Count + 1, recorded.Count), recorded);
    }

    private string ProgressFile(string external) =>
        Path.Combine(platform.JobRoot, Guid.ParseExact(external[6..], "N").ToString("D"), "progress.jsonl");

    private int StepLines(string external)
    {
        using var stream = new FileStream(ProgressFile(external), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Count(l => l.Contains("\"type\":\"step\"", StringComparison.Ordinal));
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
