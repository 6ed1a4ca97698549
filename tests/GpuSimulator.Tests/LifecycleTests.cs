using System.Net;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

/// <summary>
/// Contract v2's job lifecycle over real HTTP: preemption and recovery, pause and resume, cancellation in every
/// state, GPU-time accounting. The standard job has 150 steps (3 epochs of 50), so the default checkpoint
/// interval is 37 steps (a quarter of the run).
/// </summary>
public sealed class LifecycleTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private static readonly int[] DefaultCheckpointSteps = [37, 74, 111, 148];

    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<SimulatorTestHost> PreemptingHostAsync(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Simulator:PreemptionRate"] = "1" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return SimulatorTestHost.StartAsync(database, settings: settings);
    }

    private Task<int> PreemptAtStepAsync(Guid jobId) =>
        database.ScalarAsync<int>("select preempt_at_step from {schema}.jobs where job_id = @id", ("id", jobId));

    private static double Allocation(AttemptDto attempt) =>
        (attempt.EndedAt!.Value - attempt.StartedAt).TotalSeconds * SimulatorTestHost.TimeScale;

    [Fact]
    public async Task Preempted_job_recovers_from_its_latest_checkpoint_and_pays_for_the_rerun()
    {
        await using var host = await PreemptingHostAsync();
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());
        var preemptAt = await PreemptAtStepAsync(jobId);
        Assert.InRange(preemptAt, 150 * 0.25, (150 * 0.75) + 1);

        // the first attempt runs until the chosen step, then the cluster takes the GPUs back
        var seen = await host.AdvanceUntilAsync(id, s => s.Status is not ("queued" or "initializing" or "running"), 2);
        var recovering = seen[^1];
        Assert.Equal(("recovering", "recovering"), (recovering.Status, recovering.Stage));
        Assert.Equal(preemptAt - 1, recovering.CurrentStep); // preempted halfway through the chosen step
        Assert.Contains(seen, s => s.Status == "running");
        var first = Assert.Single(recovering.Attempts);
        Assert.Equal(("preempted", 0), (first.Outcome, first.FromStep));
        Assert.Equal(recovering.StartedAt, first.StartedAt);
        Assert.NotNull(first.EndedAt);
        Assert.Equal((1, 0), (recovering.Attempt, recovering.RecoveryCount));
        Assert.Equal(Enumerable.Range(1, preemptAt - 1), (await host.StatusV2Async(id)).MetricsHistory.Select(p => p.Step));
        var expectedCheckpoints = DefaultCheckpointSteps.Where(s => s < preemptAt).ToList();
        Assert.Equal(expectedCheckpoints, recovering.Checkpoints.Select(c => c.Step));
        var latest = expectedCheckpoints[^1];

        // waiting for the restart uses no GPU
        host.AdvanceSimulated(5000);
        var stillRecovering = await host.StatusV2Async(id, int.MaxValue);
        Assert.Equal("recovering", stillRecovering.Status);
        Assert.Equal(recovering.GpuSeconds, stillRecovering.GpuSeconds);
        Assert.Equal(Allocation(first) * 1, recovering.GpuSeconds, 0.01);

        var resumed = await host.ResumeOkAsync(id);
        Assert.Equal(new ResumeDto("initializing", 2, latest), resumed);
        var restarting = await host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(("initializing", "loading_model"), (restarting.Status, restarting.Stage));
        Assert.Equal((2, 1), (restarting.Attempt, restarting.RecoveryCount));
        Assert.Equal(latest, restarting.CurrentStep);
        Assert.Equal(("running", latest), (restarting.Attempts[1].Outcome, restarting.Attempts[1].FromStep));
        Assert.True(restarting.Progress < stillRecovering.Progress, "the steps after the checkpoint are to do again");

        await host.AdvanceUntilAsync(id, s => s.IsTerminal, 5);
        var final = await host.StatusV2Async(id);
        Assert.Equal("completed", final.Status);
        Assert.Equal(150, final.CurrentStep);
        Assert.Equal(["preempted", "completed"], final.Attempts.Select(a => a.Outcome));
        Assert.Equal((2, 1), (final.Attempt, final.RecoveryCount));
        Assert.Equal(first, final.Attempts[0]);
        Assert.Equal(final.CompletedAt, final.Attempts[1].EndedAt);

        // the steps after the checkpoint are reported again: same numbers, same values, later timestamps
        Assert.Equal(
            Enumerable.Range(1, preemptAt - 1).Concat(Enumerable.Range(latest + 1, 150 - latest)),
            final.MetricsHistory.Select(p => p.Step));
        foreach (var step in Enumerable.Range(latest + 1, preemptAt - 1 - latest))
        {
            var twice = final.MetricsHistory.Where(p => p.Step == step).ToList();
            Assert.Equal(2, twice.Count);
            Assert.Equal(twice[0] with { Timestamp = default }, twice[1] with { Timestamp = default });
            Assert.True(twice[1].Timestamp > twice[0].Timestamp);
        }

        // GPU time: both allocations, summed
        Assert.Equal(final.Attempts.Sum(a => a.GpuSeconds), final.GpuSeconds, 0.01);
        Assert.All(final.Attempts, a => Assert.Equal(Allocation(a), a.GpuSeconds, 0.01));

        // an unpreempted twin (same dataset, same work) costs less by the restart and the re-run steps
        await using var plain = await SimulatorTestHost.StartAsync(database);
        var (twinId, twinBody) = TestData.StandardJob(plain);
        var twin = await plain.SubmitOkAsync(twinBody, twinId.ToString());
        var twinFinal = (await plain.AdvanceUntilAsync(twin, s => s.IsTerminal, 600))[^1];
        Assert.Equal("completed", twinFinal.Status);
        Assert.Equal((twinFinal.CompletedAt!.Value - twinFinal.StartedAt!.Value).TotalSeconds * SimulatorTestHost.TimeScale, twinFinal.GpuSeconds, 0.01);
        var checkpoint = final.Checkpoints.Single(c => c.Step == latest);
        var rerun = (first.EndedAt!.Value - checkpoint.CreatedAt).TotalSeconds * SimulatorTestHost.TimeScale;
        Assert.True(rerun > 0);
        Assert.Equal(twinFinal.GpuSeconds + 120 + rerun, final.GpuSeconds, 0.01);
    }

    [Fact]
    public async Task Pause_saves_a_checkpoint_stops_gpu_time_and_resume_continues_from_it()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(605 + 331 + 10); // epoch 2's training
        var running = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(("running", "training"), (running.Status, running.Stage));
        var step = running.CurrentStep;

        await _host.PauseOkAsync(id);
        var pausedAt = StatusBuilder.Now(_host.Clock);
        var paused = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(("paused", "paused"), (paused.Status, paused.Stage));
        Assert.Equal(step, paused.CurrentStep);
        var attempt = Assert.Single(paused.Attempts);
        Assert.Equal("paused", attempt.Outcome);
        Assert.Equal(pausedAt, attempt.EndedAt);
        Assert.Equal(DefaultCheckpointSteps.Where(s => s < step).Append(step), paused.Checkpoints.Select(c => c.Step));
        var checkpoint = paused.Checkpoints[^1];
        Assert.Equal((step, 2, pausedAt), (checkpoint.Step, checkpoint.Epoch, checkpoint.CreatedAt));
        Assert.Equal(running.Metrics!.TrainingLoss, checkpoint.TrainingLoss);
        Assert.Null(checkpoint.ValidationLoss);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], checkpoint.Files);

        // no GPU time while paused, and nothing moves
        _host.AdvanceSimulated(10_000);
        var later = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(paused.GpuSeconds, later.GpuSeconds);
        Assert.Equal((paused.Status, paused.CurrentStep, paused.Progress), (later.Status, later.CurrentStep, later.Progress));
        Assert.Equal(Allocation(attempt), paused.GpuSeconds, 0.01);

        // pausing again is a no-op
        await _host.PauseOkAsync(id);
        Assert.Single((await _host.StatusV2Async(id)).Attempts);

        // two resumes make one attempt
        var resumed = await _host.ResumeOkAsync(id);
        Assert.Equal(new ResumeDto("initializing", 2, step), resumed);
        Assert.Equal(resumed, await _host.ResumeOkAsync(id));
        _host.AdvanceSimulated(130); // past the 120 s restart
        Assert.Equal(new ResumeDto("running", 2, step), await _host.ResumeOkAsync(id));
        var again = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(2, again.Attempts.Count);
        Assert.Equal((2, 0), (again.Attempt, again.RecoveryCount)); // a pause is no recovery
        Assert.True(again.CurrentStep > step);
        Assert.Equal(2, await database.ScalarAsync<int>( // one pause, one resume
            "select jsonb_array_length(lifecycle_calls) from {schema}.jobs where job_id = @id", ("id", jobId)));

        await _host.AdvanceUntilAsync(id, s => s.IsTerminal, 30);
        var final = await _host.StatusV2Async(id);
        Assert.Equal("completed", final.Status);
        Assert.Equal(["paused", "completed"], final.Attempts.Select(a => a.Outcome));
        Assert.Equal(step, final.Attempts[1].FromStep);

        // the pause checkpoint is the last completed step: every step is reported once
        Assert.Equal(Enumerable.Range(1, 150), final.MetricsHistory.Select(p => p.Step));
        Assert.Equal(final.Attempts.Sum(a => a.GpuSeconds), final.GpuSeconds, 0.01);
        Assert.All(final.Attempts, a => Assert.Equal(Allocation(a), a.GpuSeconds, 0.01));

        // paused time costs nothing: an unpaused twin's time, plus the restart, plus at most the step lost at the pause
        var (twinId, twinBody) = TestData.StandardJob(_host);
        var twin = await _host.SubmitOkAsync(twinBody, twinId.ToString());
        var twinFinal = (await _host.AdvanceUntilAsync(twin, s => s.IsTerminal, 600))[^1];
        Assert.InRange(final.GpuSeconds - twinFinal.GpuSeconds, 120 - 0.01, 121);
    }

    [Fact]
    public async Task Pause_and_resume_answer_by_the_jobs_state()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());

        // queued: nothing to pause, nothing to resume
        var (code, text) = await _host.CallAsync("pause", id);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("queued", JsonSerializer.Deserialize<ErrorDto>(text, Json.Options)!.Error, StringComparison.Ordinal);
        Assert.Equal(new ResumeDto("queued", 1, 0), await _host.ResumeOkAsync(id));

        // initializing
        _host.AdvanceSimulated(100);
        Assert.Equal(HttpStatusCode.Conflict, (await _host.CallAsync("pause", id)).Code);

        // running: resume has nothing to do
        _host.AdvanceSimulated(600);
        Assert.Equal(new ResumeDto("running", 1, 0), await _host.ResumeOkAsync(id));
        Assert.Single((await _host.StatusV2Async(id)).Attempts);
        Assert.Equal("[]", await database.ScalarAsync<string>("select lifecycle_calls::text from {schema}.jobs where job_id = @id", ("id", jobId)));

        // ended
        await _host.RunToEndAsync(id, 600);
        Assert.Equal(HttpStatusCode.Conflict, (await _host.CallAsync("pause", id)).Code);
        (code, text) = await _host.CallAsync("resume", id);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("completed", JsonSerializer.Deserialize<ErrorDto>(text, Json.Options)!.Error, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await _host.CallAsync("pause", "sim-unknown")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.CallAsync("resume", "sim-unknown")).Code);
    }

    [Fact]
    public async Task Pause_on_a_recovering_job_is_409()
    {
        await using var host = await PreemptingHostAsync();
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());
        await host.AdvanceUntilAsync(id, s => s.Status == "recovering", 5);

        Assert.Equal(HttpStatusCode.Conflict, (await host.CallAsync("pause", id)).Code);
        Assert.Equal("recovering", (await host.StatusV2Async(id)).Status);
    }

    [Fact]
    public async Task Cancel_while_paused_ends_it_cancelled_with_no_further_gpu_time()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(700);
        await _host.PauseOkAsync(id);
        var paused = await _host.StatusV2Async(id, int.MaxValue);
        _host.AdvanceSimulated(100);

        var (code, text) = await _host.CallAsync("cancel", id);
        var cancelledAt = StatusBuilder.Now(_host.Clock);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("cancelled", JsonSerializer.Deserialize<SubmitDto>(text, Json.Options)!.Status);

        var cancelled = await _host.StatusV2Async(id, int.MaxValue);
        Assert.Equal(("cancelled", "cancelled"), (cancelled.Status, cancelled.Stage));
        Assert.Equal(cancelledAt, cancelled.CompletedAt);
        Assert.Equal("paused", Assert.Single(cancelled.Attempts).Outcome); // the allocation ended with the pause
        Assert.Equal(paused.GpuSeconds, cancelled.GpuSeconds);
        Assert.Equal(paused.CurrentStep, cancelled.CurrentStep);
        Assert.Equal(paused.Checkpoints.Select(c => (c.Step, c.CreatedAt)), cancelled.Checkpoints.Select(c => (c.Step, c.CreatedAt)));

        _host.AdvanceSimulated(5000);
        Assert.Equal(paused.GpuSeconds, (await _host.StatusV2Async(id)).GpuSeconds);
        Assert.Equal(HttpStatusCode.Conflict, (await _host.CallAsync("resume", id)).Code);
        Assert.Equal(HttpStatusCode.Conflict, (await _host.CallAsync("pause", id)).Code);
    }

    [Fact]
    public async Task Cancel_works_while_recovering_and_during_a_restart()
    {
        await using var host = await PreemptingHostAsync();

        var (a, bodyA) = TestData.StandardJob(host);
        var recoveringId = await host.SubmitOkAsync(bodyA, a.ToString());
        var recovering = (await host.AdvanceUntilAsync(recoveringId, s => s.Status == "recovering", 5))[^1];
        Assert.Equal(HttpStatusCode.OK, (await host.CallAsync("cancel", recoveringId)).Code);
        var cancelled = await host.StatusV2Async(recoveringId);
        Assert.Equal("cancelled", cancelled.Status);
        Assert.Equal("preempted", Assert.Single(cancelled.Attempts).Outcome);
        Assert.Equal(recovering.GpuSeconds, cancelled.GpuSeconds);

        var (b, bodyB) = TestData.StandardJob(host);
        var restartingId = await host.SubmitOkAsync(bodyB, b.ToString());
        await host.AdvanceUntilAsync(restartingId, s => s.Status == "recovering", 5);
        var resumed = await host.ResumeOkAsync(restartingId);
        host.AdvanceSimulated(60); // half of the restart
        Assert.Equal(HttpStatusCode.OK, (await host.CallAsync("cancel", restartingId)).Code);
        host.AdvanceSimulated(1000);
        var stopped = await host.StatusV2Async(restartingId);
        Assert.Equal(("cancelled", resumed.FromStep), (stopped.Status, stopped.CurrentStep));
        Assert.Equal(["preempted", "cancelled"], stopped.Attempts.Select(x => x.Outcome));
        Assert.Equal(60, stopped.Attempts[1].GpuSeconds, 0.01);
    }

    [Fact]
    public async Task Pause_during_validation_validates_again_after_the_resume()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(605 + 31 + 100); // epoch 1's validation (its training ends at ~635.6 s)
        Assert.Equal("validating", (await _host.StatusV2Async(id, int.MaxValue)).Stage);

        await _host.PauseOkAsync(id);
        var paused = await _host.StatusV2Async(id);
        Assert.Equal(50, paused.CurrentStep);
        Assert.Equal(Enumerable.Range(1, 49), paused.MetricsHistory.Select(p => p.Step)); // step 50's point waits for its validation
        var checkpoint = paused.Checkpoints.Single(c => c.Step == 50);
        Assert.Null(checkpoint.ValidationLoss); // saved before its validation finished

        _host.AdvanceSimulated(1000);
        Assert.Equal(new ResumeDto("initializing", 2, 50), await _host.ResumeOkAsync(id));
        _host.AdvanceSimulated(120 + 299); // the restart, then all but a second of the validation, again
        var validating = await _host.StatusV2Async(id);
        Assert.Equal(("validating", 49), (validating.Stage, validating.MetricsHistory[^1].Step));
        _host.AdvanceSimulated(2);
        var validated = await _host.StatusV2Async(id);
        Assert.Equal("training", validated.Stage);
        var point = validated.MetricsHistory.Single(p => p.Step == 50);
        Assert.NotNull(point.ValidationLoss);

        var final = (await _host.RunToEndAsync(id, 600))[^1];
        Assert.Equal("completed", final.Status);
        Assert.Equal(Enumerable.Range(1, 150), (await _host.StatusV2Async(id)).MetricsHistory.Select(p => p.Step));
    }

    [Fact]
    public async Task Cuda_oom_strikes_in_whichever_attempt_reaches_its_step()
    {
        // an id whose failure step comes after its preemption step, so the failure falls in the second attempt
        var jobId = Enumerable.Range(0, 10_000)
            .Select(i => Guid.Parse($"0ff1ce00-0000-4000-8000-{i:D12}"))
            .First(g => JobSimulation.ChooseFailureStep(g, 1, 150) > JobSimulation.ChoosePreemptionStep(g, 1, 150) + 5);
        await using var host = await PreemptingHostAsync(("Simulator:Faults:JobFailureRate", "1"));
        var id = await host.SubmitOkAsync(TestData.Submission(jobId, host.PublishDataset($"oom-{jobId:N}.jsonl", TestData.Dataset(200, 20))));
        var failAt = JobSimulation.ChooseFailureStep(jobId, 1, 150)!.Value;

        await host.AdvanceUntilAsync(id, s => s.Status == "recovering", 5);
        await host.ResumeOkAsync(id);
        var final = (await host.AdvanceUntilAsync(id, s => s.IsTerminal, 5))[^1];

        Assert.Equal("failed", final.Status);
        Assert.StartsWith($"CUDA out of memory at step {failAt}:", final.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(failAt - 1, final.CurrentStep);
        Assert.Equal(["preempted", "failed"], final.Attempts.Select(a => a.Outcome));
        Assert.Equal(final.CompletedAt, final.Attempts[1].EndedAt);
        Assert.Equal(HttpStatusCode.Conflict, (await host.CallAsync("resume", id)).Code);
    }

    [Fact]
    public async Task Lost_job_answers_404_to_pause_resume_and_checkpoints()
    {
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:Faults:LostJobRate"] = "1",
        });
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());
        host.AdvanceSimulated(300);
        Assert.Equal(HttpStatusCode.Conflict, (await host.CallAsync("pause", id)).Code); // initializing: not lost yet

        host.AdvanceSimulated(3000);
        Assert.Equal(HttpStatusCode.NotFound, (await host.CallAsync("pause", id)).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await host.CallAsync("resume", id)).Code);
        using var checkpoint = await host.Client.GetAsync($"training/artifacts/{id}?checkpoint=37");
        Assert.Equal(HttpStatusCode.NotFound, checkpoint.StatusCode);
    }
}
