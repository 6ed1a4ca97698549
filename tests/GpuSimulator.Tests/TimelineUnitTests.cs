namespace LoraPipeline.GpuSimulator.Tests;

/// <summary>The attempt timeline as a pure function of the row and the instant, without HTTP or a database.</summary>
public sealed class TimelineUnitTests
{
    private static readonly DateTimeOffset Submitted = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>1000 examples, batch 8, 3 epochs: 125 steps per epoch, 375 steps, 1.11 s per step.</summary>
    private static JobRecord Job(int gpus = 1, int? preemptAt = null, int? failAt = null, double restart = 120, int checkpointEvery = 0,
        params (string Action, double Simulated)[] calls) => new()
        {
            ExternalJobId = "sim-t",
            JobId = Guid.Parse("7d1f4c2a-3b5e-4f60-8a71-92b3c4d5e6f7"),
            IdempotencyKey = "k",
            SubmittedAt = Submitted,
            DatasetUrl = "http://x/files/a",
            Hyperparameters = new Hyperparameters
            {
                BaseModel = "mistralai/Mistral-7B-v0.1",
                LearningRate = 2e-4,
                BatchSize = 8,
                NumEpochs = 3,
                LoraRank = 16,
                LoraAlpha = 32,
                LoraDropout = 0.05,
            },
            GpuConfig = new GpuConfig { GpuType = "A100-80GB", NumGpus = gpus, GpuMemoryGb = 80, CostPerGpuHour = 3.5 },
            TrainExamples = 1000,
            ValidationExamples = 100, // the expectations below count each epoch's validation
            DatasetBytes = 2_000_000,
            TimeScale = 40,
            GpuThroughput = 1800,
            PreemptAtStep = preemptAt,
            FailAtStep = failAt,
            RestartSeconds = restart,
            CheckpointEvery = checkpointEvery,
            LifecycleCalls = [.. calls.Select(c => new LifecycleCall(c.Action, At(c.Simulated)))],
        };

    private static DateTimeOffset At(double simulated) => Submitted.AddTicks((long)(simulated / 40 * TimeSpan.TicksPerSecond));

    [Fact]
    public void Preemption_step_is_deterministic_and_between_a_quarter_and_three_quarters_of_the_run()
    {
        var steps = Enumerable.Range(0, 500).Select(i => Guid.Parse($"a0000000-0000-4000-8000-{i:D12}"))
            .Select(id => (id, step: JobSimulation.ChoosePreemptionStep(id, 1, 1000)))
            .ToList();

        Assert.All(steps, s => Assert.InRange(s.step!.Value, 251, 751));
        Assert.All(steps, s => Assert.Equal(s.step, JobSimulation.ChoosePreemptionStep(s.id, 1, 1000)));
        Assert.True(steps.Select(s => s.step).Distinct().Count() > 100); // spread over the range
        Assert.Null(JobSimulation.ChoosePreemptionStep(steps[0].id, 0, 1000));
        var half = steps.Count(s => JobSimulation.ChoosePreemptionStep(s.id, 0.5, 1000) is not null);
        Assert.InRange(half, 200, 300); // a share of jobs, decided per job
        Assert.NotEqual( // its own channel: not the CUDA-OOM decision
            steps.Select(s => s.step),
            steps.Select(s => JobSimulation.ChooseFailureStep(s.id, 1, 1000)));
    }

    [Fact]
    public void Default_checkpoint_interval_is_a_quarter_of_the_run()
    {
        Assert.Equal(93, new JobSimulation(Job()).CheckpointEvery); // 375 / 4
        Assert.Equal(10, new JobSimulation(Job(checkpointEvery: 10)).CheckpointEvery);
        var tiny = Job() with { TrainExamples = 2, Hyperparameters = Job().Hyperparameters with { BatchSize = 8, NumEpochs = 1 } };
        Assert.Equal(1, new JobSimulation(tiny).CheckpointEvery); // one step: at least 1

        var end = new JobSimulation(Job()).EndState();
        Assert.Equal([93, 186, 279, 372], end.Checkpoints.Select(c => c.Step));
    }

    [Fact]
    public void An_uninterrupted_run_is_one_attempt_whose_gpu_time_is_its_allocation()
    {
        var simulation = new JobSimulation(Job(gpus: 2));
        var end = simulation.EndState();

        var attempt = Assert.Single(end.Attempts);
        Assert.Equal(AttemptOutcomes.Completed, attempt.Outcome);
        Assert.Equal(simulation.CompletionTime - JobSimulation.QueueSeconds, attempt.Elapsed, 9);
        Assert.Equal(end.CompletedAt, attempt.EndedAt);
        Assert.Equal(end.StartedAt, attempt.StartedAt);
        Assert.Equal(Math.Round((simulation.CompletionTime - 5) * 2, 3), StatusBuilder.Build(Job(gpus: 2), At(1e7), 0)!.GpuSeconds);
    }

    [Fact]
    public void Pause_and_resume_arithmetic()
    {
        const double pause = 700, resume = 5000;
        var plain = new JobSimulation(Job());
        var simulation = new JobSimulation(Job(calls: [(LifecycleCall.Pause, pause), (LifecycleCall.Resume, resume)]));
        var end = simulation.EndState();

        // the pause ends attempt 1 after (pause - queue) seconds; its checkpoint is the last completed step
        var stepAtPause = (int)Math.Floor((pause - JobSimulation.TrainingStart) / simulation.SecondsPerStep);
        Assert.Equal(stepAtPause, end.Checkpoints.Single(c => c.CreatedAt == At(pause)).Step);
        Assert.Equal(pause - 5, end.Attempts[0].Elapsed, 6);

        // attempt 2: restart, then the rest of the work from the checkpoint
        var resumeWork = simulation.StepCompletedWork(stepAtPause);
        Assert.Equal((stepAtPause, resumeWork), (end.Attempts[1].FromStep, end.Attempts[1].FromWork));
        Assert.Equal(120 + (simulation.TotalWork - resumeWork), end.Attempts[1].Elapsed, 6);
        Assert.Equal(resume + 120 + simulation.TotalWork - resumeWork, end.Attempts[1].End!.Value, 6);

        // = the uninterrupted run + the restart + the part of a step the pause threw away
        var lost = (pause - JobSimulation.TrainingStart) - resumeWork;
        Assert.InRange(lost, 0, simulation.SecondsPerStep);
        Assert.Equal(plain.EndState().AllocatedSeconds + 120 + lost, end.AllocatedSeconds, 6);
    }

    [Fact]
    public void Preemption_restarts_from_the_latest_periodic_checkpoint()
    {
        var simulation = new JobSimulation(Job(preemptAt: 200, calls: [(LifecycleCall.Resume, 3000)]));
        var atPreemption = simulation.SnapshotAt(At(JobSimulation.TrainingStart + simulation.StepStartWork(200) + 0.1));
        Assert.Equal((JobStatuses.Running, 199), (atPreemption.Status, atPreemption.CurrentStep)); // not yet: halfway through step 200

        var recovering = simulation.SnapshotAt(At(2000));
        Assert.Equal((JobStatuses.Recovering, JobStages.Recovering, 199), (recovering.Status, recovering.Stage, recovering.CurrentStep));
        Assert.Equal([93, 186], recovering.Checkpoints.Select(c => c.Step));

        var end = simulation.EndState();
        Assert.Equal([AttemptOutcomes.Preempted, AttemptOutcomes.Completed], end.Attempts.Select(a => a.Outcome));
        Assert.Equal(186, end.Attempts[1].FromStep);
        Assert.Equal(1, end.RecoveryCount);
        var rerun = simulation.StepStartWork(200) + (simulation.SecondsPerStep / 2) - simulation.StepCompletedWork(186);
        Assert.Equal(new JobSimulation(Job()).EndState().AllocatedSeconds + 120 + rerun, end.AllocatedSeconds, 6);

        // the re-run steps (187-199) appear twice in the history, everything else once
        var counts = simulation.History(end, 0).GroupBy(p => p.Step).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(counts, c => Assert.Equal(c.Key is > 186 and < 200 ? 2 : 1, c.Value));
        Assert.Equal(375, counts.Count);
    }

    [Fact]
    public void A_preemption_before_the_first_checkpoint_restarts_from_step_0()
    {
        var simulation = new JobSimulation(Job(preemptAt: 50, calls: [(LifecycleCall.Resume, 3000)]));
        var end = simulation.EndState();

        Assert.Equal((0, 0.0), (end.Attempts[1].FromStep, end.Attempts[1].FromWork));
        Assert.Equal(AttemptOutcomes.Completed, end.Attempts[1].Outcome);
        var restarting = simulation.SnapshotAt(At(3060));
        Assert.Equal((JobStatuses.Initializing, JobStages.LoadingModel, 0, 0.0), (restarting.Status, restarting.Stage, restarting.CurrentStep, restarting.WorkDone));
    }

    [Fact]
    public void Calls_that_could_not_apply_at_their_instant_change_nothing()
    {
        // a pause while initializing, a resume while running, a second pause while paused: as a racing row could hold
        var plain = new JobSimulation(Job()).EndState();
        var noisy = new JobSimulation(Job(calls: [(LifecycleCall.Pause, 100), (LifecycleCall.Resume, 700)])).EndState();
        Assert.Equal(plain.CompletedAt, noisy.CompletedAt);
        Assert.Single(noisy.Attempts);

        var paused = new JobSimulation(Job(calls: [(LifecycleCall.Pause, 700), (LifecycleCall.Pause, 800), (LifecycleCall.Resume, 900), (LifecycleCall.Resume, 950)])).EndState();
        Assert.Equal(2, paused.Attempts.Count);
        Assert.Equal(900, paused.Attempts[1].Start, 6);
    }

    [Fact]
    public void Calls_after_the_instant_asked_about_do_not_count_yet()
    {
        var job = Job(calls: [(LifecycleCall.Pause, 700), (LifecycleCall.Resume, 900)]);
        var simulation = new JobSimulation(job);
        var plain = new JobSimulation(Job());

        Assert.Equal(plain.SnapshotAt(At(650)).CurrentStep, simulation.SnapshotAt(At(650)).CurrentStep);
        Assert.Equal(JobStatuses.Running, simulation.SnapshotAt(At(650)).Status);
        Assert.Equal(JobStatuses.Paused, simulation.SnapshotAt(At(800)).Status);
        Assert.Equal(JobStatuses.Initializing, simulation.SnapshotAt(At(950)).Status);
    }

    [Fact]
    public void A_zero_restart_trains_at_once_and_a_pause_while_saving_saves_again()
    {
        var plain = new JobSimulation(Job());
        var savingAt = JobSimulation.TrainingStart + (plain.Epochs * plain.EpochSpan) + 100;
        var simulation = new JobSimulation(Job(restart: 0, calls: [(LifecycleCall.Pause, savingAt), (LifecycleCall.Resume, savingAt + 1000)]));

        Assert.Equal(JobStages.Paused, simulation.SnapshotAt(At(savingAt + 10)).Stage);
        var resumed = simulation.SnapshotAt(At(savingAt + 1000));
        Assert.Equal((JobStatuses.Running, JobStages.Saving), (resumed.Status, resumed.Stage));
        var end = simulation.EndState();
        Assert.Equal(375, end.Attempts[1].FromStep);
        Assert.Equal(JobSimulation.SavingSeconds, end.Attempts[1].Elapsed, 4); // only the saving, again
        Assert.Equal(plain.EndState().AllocatedSeconds + 100, end.AllocatedSeconds, 4); // At() keeps 100 ns ticks of real time
        Assert.NotNull(end.Checkpoints.Single(c => c.Step == 375).ValidationLoss);
    }

    [Fact]
    public void Cancellation_ends_whichever_state_the_job_is_in()
    {
        var running = new JobSimulation(Job() with { CancelledAt = At(700) }).EndState();
        Assert.Equal(AttemptOutcomes.Cancelled, Assert.Single(running.Attempts).Outcome);
        Assert.Equal(695, running.AllocatedSeconds, 6);

        var paused = new JobSimulation(Job(calls: [(LifecycleCall.Pause, 700)]) with { CancelledAt = At(5000) }).EndState();
        Assert.Equal((JobStatuses.Cancelled, AttemptOutcomes.Paused), (paused.Status, Assert.Single(paused.Attempts).Outcome));
        Assert.Equal(695, paused.AllocatedSeconds, 6);
        Assert.Equal(At(5000), paused.CompletedAt);

        // a resume after the cancellation does not count
        var late = new JobSimulation(Job(calls: [(LifecycleCall.Pause, 700), (LifecycleCall.Resume, 6000)]) with { CancelledAt = At(5000) }).EndState();
        Assert.Single(late.Attempts);
        Assert.Equal(JobStatuses.Cancelled, late.Status);

        var queued = new JobSimulation(Job() with { CancelledAt = At(1) }).EndState();
        Assert.Equal((JobStatuses.Cancelled, 0), (queued.Status, queued.Attempts.Count));
        Assert.Null(queued.StartedAt);
    }

    [Fact]
    public void The_lost_job_fault_still_hides_the_job_once_it_trains()
    {
        var job = Job(calls: [(LifecycleCall.Pause, 700), (LifecycleCall.Resume, 900)]) with { Lost = true };

        Assert.False(new JobSimulation(job).SnapshotAt(At(600)).Lost);
        Assert.True(new JobSimulation(job).SnapshotAt(At(606)).Lost);
        Assert.Null(StatusBuilder.Build(job, At(5000), 0));
    }
}
