using System.Globalization;

namespace LoraPipeline.GpuSimulator;

/// <summary>Where a job stands at one instant; a pure function of the stored row and that instant.</summary>
internal sealed record SimulationSnapshot
{
    public required string Status { get; init; }

    public required string Stage { get; init; }

    /// <summary>The last step completed by the current (or last) attempt.</summary>
    public int CurrentStep { get; init; }

    public int CurrentEpoch { get; init; }

    /// <summary>Number of epochs whose end-of-epoch validation has finished (in the work the current attempt stands on).</summary>
    public int CompletedValidations { get; init; }

    /// <summary>Position on the run's work axis: simulated seconds of work (training, validation, saving) done.</summary>
    public double WorkDone { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary>The cluster has forgotten the job (lost-job fault): it answers 404 from now on.</summary>
    public bool Lost { get; init; }

    /// <summary>The attempts started so far, oldest first (none while queued).</summary>
    public IReadOnlyList<AttemptSpan> Attempts { get; init; } = [];

    /// <summary>The checkpoints saved so far, one per step (a later save of a step replaces the earlier one), by step.</summary>
    public IReadOnlyList<SavedCheckpoint> Checkpoints { get; init; } = [];

    /// <summary>Resumes after a preemption.</summary>
    public int RecoveryCount { get; init; }

    /// <summary>The current (or last) attempt's number; 1 while the first run is still queued.</summary>
    public int Attempt => Math.Max(1, Attempts.Count);

    /// <summary>Simulated seconds of GPU allocation so far, summed over the attempts (not yet multiplied by the GPUs).</summary>
    public double AllocatedSeconds => Attempts.Sum(a => a.Elapsed);

    public bool IsTerminal => Status is JobStatuses.Completed or JobStatuses.Failed or JobStatuses.Cancelled;
}

/// <summary>
/// One attempt: an allocation of the job's GPUs from <see cref="Start"/> (simulated seconds since the submission),
/// initializing for <see cref="Startup"/> seconds, then working from <see cref="FromWork"/> on the run's work axis at
/// one second of work per second, until it ends (<see cref="End"/>) or until the instant of the snapshot.
/// </summary>
internal sealed record AttemptSpan
{
    public required int Number { get; init; }

    public required double Start { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double Startup { get; init; }

    public required int FromStep { get; init; }

    public required double FromWork { get; init; }

    /// <summary>Simulated instant the attempt ended; null while it runs.</summary>
    public double? End { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public required string Outcome { get; init; }

    /// <summary>Work position reached: at the end, or at the instant of the snapshot while running.</summary>
    public required double WorkReached { get; init; }

    /// <summary>Simulated seconds of allocation: from the start to the end, or to the instant of the snapshot.</summary>
    public required double Elapsed { get; init; }

    public double TrainingStart => Start + Startup;

    /// <summary>Simulated instant at which this attempt reaches a work position.</summary>
    public double TimeAtWork(double work) => TrainingStart + (work - FromWork);
}

/// <summary>
/// A saved checkpoint of a step. <see cref="ResumeWork"/> is where an attempt restarted from it begins on the work
/// axis: right after the step, or after its epoch's validation when the checkpoint was saved after it.
/// </summary>
internal sealed record SavedCheckpoint(
    int Step, int Epoch, double ResumeWork, double SavedAt, DateTimeOffset CreatedAt, double TrainingLoss, double? ValidationLoss);

internal static class JobStatuses
{
    public const string Queued = "queued";
    public const string Initializing = "initializing";
    public const string Running = "running";
    public const string Recovering = "recovering";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

internal static class JobStages
{
    public const string Queued = "queued";
    public const string Initializing = "initializing";
    public const string LoadingModel = "loading_model";
    public const string Training = "training";
    public const string Validating = "validating";
    public const string Saving = "saving";
    public const string Recovering = "recovering";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

internal static class AttemptOutcomes
{
    public const string Running = "running";
    public const string Preempted = "preempted";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The deterministic, accelerated life of one job. All durations are simulated seconds from the submission;
/// real instants are <c>submitted_at + simulated / time_scale</c>. Noise comes from <see cref="DeterministicRandom"/>
/// keyed by (job id, channel, step), so recomputation anywhere yields identical numbers.
/// <para>
/// The run's work is one axis of simulated seconds, <c>[0, TotalWork]</c>: each epoch's training then its validation,
/// then saving. An attempt moves along it at one second per second once it has initialized; a pause, a preemption,
/// a failure, a cancellation or the completion ends it; a resume starts the next attempt from a checkpoint's
/// position. The row holds the inputs (including the pause and resume calls that took effect); everything else
/// (attempts, checkpoints, GPU time, metrics) is derived here from the row and the instant asked about.
/// </para>
/// </summary>
internal sealed class JobSimulation
{
    public const double QueueSeconds = 5;
    public const double InitializingStageSeconds = 4 * 60;
    public const double InitializationSeconds = 10 * 60;
    public const double ValidationSeconds = 5 * 60;
    public const double SavingSeconds = 5 * 60;
    public const int MaxHistoryPoints = 500;

    /// <summary>The files of every checkpoint.</summary>
    public static readonly IReadOnlyList<string> CheckpointFiles = [Artifacts.ArtifactSet.AdapterConfig, Artifacts.ArtifactSet.AdapterModel];

    // noise channels
    private const int ChannelInitialLoss = 1;
    private const int ChannelFloor = 2;
    private const int ChannelDecay = 3;
    private const int ChannelTrainingNoise = 4;
    private const int ChannelValidationNoise = 5;
    private const int ChannelThroughput = 6;
    private const int ChannelUtilisation = 7;
    private const int ChannelGradientNorm = 8;
    private const int ChannelJobFailure = 100;
    private const int ChannelFailureStep = 101;
    private const int ChannelLost = 102;
    private const int ChannelPreemption = 103;
    private const int ChannelPreemptionStep = 104;

    private readonly JobRecord _job;
    private readonly ulong _seed;
    private readonly double _initialLoss;
    private readonly double _lossFloor;
    private readonly double _decay;

    public JobSimulation(JobRecord job)
    {
        _job = job;
        _seed = DeterministicRandom.Seed(job.JobId);
        var h = job.Hyperparameters;
        Epochs = h.NumEpochs;
        StepsPerEpoch = (int)Math.Ceiling(job.TrainExamples / (double)h.BatchSize);
        TotalSteps = StepsPerEpoch * Epochs;
        LogEvery = Math.Max(1, TotalSteps / 200);
        WarmupSteps = Math.Max(0, h.WarmupSteps ?? 0);
        CheckpointEvery = job.CheckpointEvery > 0 ? job.CheckpointEvery : Math.Max(1, TotalSteps / 4);

        var tokensEstimate = job.DatasetBytes / 4.0;
        var tokensPerStep = tokensEstimate / job.TrainExamples * h.BatchSize;
        SecondsPerStep = tokensPerStep / (job.GpuThroughput * job.GpuConfig.NumGpus);

        _initialLoss = 2.2 + (0.6 * DeterministicRandom.Unit(_seed, ChannelInitialLoss, 0));
        _lossFloor = LossFloor(h.LearningRate, h.LoraRank, Epochs, DeterministicRandom.Unit(_seed, ChannelFloor, 0));
        _decay = 4.0 + DeterministicRandom.Unit(_seed, ChannelDecay, 0);

        // both faults strike halfway through their step
        if (job.FailAtStep is { } failAt)
        {
            FailureWork = StepStartWork(Math.Clamp(failAt, 1, TotalSteps)) + (SecondsPerStep / 2);
        }

        if (job.PreemptAtStep is { } preemptAt)
        {
            PreemptionWork = StepStartWork(Math.Clamp(preemptAt, 1, TotalSteps)) + (SecondsPerStep / 2);
        }
    }

    public int Epochs { get; }

    public int StepsPerEpoch { get; }

    public int TotalSteps { get; }

    public int LogEvery { get; }

    public int WarmupSteps { get; }

    /// <summary>Steps between periodic checkpoints.</summary>
    public int CheckpointEvery { get; }

    public double SecondsPerStep { get; }

    public double LossFloorValue => _lossFloor;

    /// <summary>When the first attempt starts training: after the queue and the initialization.</summary>
    public static double TrainingStart => QueueSeconds + InitializationSeconds;

    public double EpochTrainingSpan => StepsPerEpoch * SecondsPerStep;

    /// <summary>
    /// Whether the job has validation examples (<c>"split": "validation"</c> lines). Without them there is no validation
    /// loss to report and no validation to spend time on: each epoch is its training alone.
    /// </summary>
    public bool Validates => _job.ValidationExamples > 0;

    /// <summary>Simulated seconds of each epoch's end-of-epoch validation.</summary>
    public double ValidationSpan => Validates ? ValidationSeconds : 0;

    public double EpochSpan => EpochTrainingSpan + ValidationSpan;

    public double TotalWork => (Epochs * EpochSpan) + SavingSeconds;

    /// <summary>When an uninterrupted run completes.</summary>
    public double CompletionTime => TrainingStart + TotalWork;

    /// <summary>Work position of the CUDA-OOM fault (halfway through its step), or null.</summary>
    public double? FailureWork { get; }

    /// <summary>Work position of the preemption of the first attempt (halfway through its step), or null.</summary>
    public double? PreemptionWork { get; }

    // ---- per-job fault decisions, taken once at acceptance and stored in the row ----

    public static int? ChooseFailureStep(Guid jobId, double rate, int totalSteps)
    {
        var seed = DeterministicRandom.Seed(jobId);
        if (rate <= 0 || DeterministicRandom.Unit(seed, ChannelJobFailure, 0) >= rate)
        {
            return null;
        }

        // somewhere between 30% and 70% of the run
        var fraction = 0.3 + (0.4 * DeterministicRandom.Unit(seed, ChannelFailureStep, 0));
        return Math.Clamp((int)Math.Floor(totalSteps * fraction) + 1, 1, totalSteps);
    }

    /// <summary>The step during which the first attempt is preempted (between 25% and 75% of the run), or null.</summary>
    public static int? ChoosePreemptionStep(Guid jobId, double rate, int totalSteps)
    {
        var seed = DeterministicRandom.Seed(jobId);
        if (rate <= 0 || DeterministicRandom.Unit(seed, ChannelPreemption, 0) >= rate)
        {
            return null;
        }

        var fraction = 0.25 + (0.5 * DeterministicRandom.Unit(seed, ChannelPreemptionStep, 0));
        return Math.Clamp((int)Math.Floor(totalSteps * fraction) + 1, 1, totalSteps);
    }

    public static bool ChooseLost(Guid jobId, double rate) =>
        rate > 0 && DeterministicRandom.Unit(DeterministicRandom.Seed(jobId), ChannelLost, 0) < rate;

    public static int TotalStepsFor(int trainExamples, int batchSize, int epochs) =>
        (int)Math.Ceiling(trainExamples / (double)batchSize) * epochs;

    // ---- time and work ----

    public double SimulatedSecondsAt(DateTimeOffset now) =>
        Math.Max(0, (now - _job.SubmittedAt).Ticks / (double)TimeSpan.TicksPerSecond * _job.TimeScale);

    public DateTimeOffset RealTimeAt(double simulatedSeconds)
    {
        var ticks = (long)Math.Round(simulatedSeconds / _job.TimeScale * TimeSpan.TicksPerSecond);
        ticks -= ticks % 10; // microseconds, like PostgreSQL
        return _job.SubmittedAt.AddTicks(ticks);
    }

    public int EpochOf(int step) => ((step - 1) / StepsPerEpoch) + 1;

    /// <summary>Work position at which an epoch's training begins (and the previous epoch's validation ends).</summary>
    private double EpochBase(int epoch) => (epoch - 1) * EpochSpan;

    public double StepStartWork(int step)
    {
        var epoch = EpochOf(step);
        return EpochBase(epoch) + ((step - 1 - ((epoch - 1) * StepsPerEpoch)) * SecondsPerStep);
    }

    public double StepCompletedWork(int step) => StepStartWork(step) + SecondsPerStep;

    public double ValidationEndWork(int epoch) => epoch * EpochSpan;

    /// <summary>
    /// Where a step's metric point is reported (and a periodic checkpoint of it saved): when the step completes,
    /// or for an epoch's last step when the epoch's validation has finished.
    /// </summary>
    public double ReportWork(int step) => IsEpochEnd(step) ? ValidationEndWork(EpochOf(step)) : StepCompletedWork(step);

    /// <summary>When an uninterrupted run starts a step.</summary>
    public double StepStartTime(int step) => TrainingStart + StepStartWork(step);

    public double StepCompletedTime(int step) => TrainingStart + StepCompletedWork(step);

    public double ValidationEndTime(int epoch) => TrainingStart + ValidationEndWork(epoch);

    private bool IsEpochEnd(int step) => step % StepsPerEpoch == 0;

    private readonly record struct WorkState(string Stage, int Step, int Epoch, int Validations, double Work);

    /// <summary>
    /// Stage, last completed step and finished validations at a work position below <see cref="TotalWork"/>, decided
    /// with the same comparisons as <see cref="ReportWork"/> so the two never disagree on a boundary.
    /// </summary>
    private WorkState AtWork(double work)
    {
        if (work >= Epochs * EpochSpan)
        {
            return new WorkState(JobStages.Saving, TotalSteps, Epochs, Epochs, work);
        }

        var epoch = Math.Clamp((int)Math.Floor(work / EpochSpan) + 1, 1, Epochs);
        while (epoch > 1 && EpochBase(epoch) > work)
        {
            epoch--;
        }

        while (epoch < Epochs && EpochBase(epoch + 1) <= work)
        {
            epoch++;
        }

        var firstStep = ((epoch - 1) * StepsPerEpoch) + 1;
        var lastStep = epoch * StepsPerEpoch;
        if (work >= StepCompletedWork(lastStep))
        {
            // without validation only rounding can leave a position between an epoch's last step and the next epoch
            return new WorkState(Validates ? JobStages.Validating : JobStages.Training, lastStep, epoch, epoch - 1, work);
        }

        var done = Math.Clamp((int)Math.Floor((work - EpochBase(epoch)) / SecondsPerStep), 0, StepsPerEpoch - 1);
        while (done > 0 && StepCompletedWork(firstStep + done - 1) > work)
        {
            done--;
        }

        while (done < StepsPerEpoch - 1 && StepCompletedWork(firstStep + done) <= work)
        {
            done++;
        }

        return new WorkState(JobStages.Training, firstStep - 1 + done, epoch, epoch - 1, work);
    }

    // ---- state ----

    public SimulationSnapshot SnapshotAt(DateTimeOffset now) => Timeline(SimulatedSecondsAt(now));

    /// <summary>The state the job ends in with the calls recorded so far (completed, failed, cancelled, or left paused or recovering).</summary>
    public SimulationSnapshot EndState() => Timeline(double.PositiveInfinity);

    /// <summary>
    /// Replays the job's life up to simulated instant <paramref name="t"/>: the queue, then attempt after attempt.
    /// Only calls (and a cancellation) at or before <paramref name="t"/> count, and each counts only if the job was in
    /// a state to accept it at its instant, so a row whose calls raced still gives one consistent history. Events at
    /// one instant apply in this order: the attempt's own end (completion, failure, preemption), then a pause or
    /// resume, then the cancellation.
    /// </summary>
    private SimulationSnapshot Timeline(double t)
    {
        var cancel = _job.CancelledAt is { } cancelledAt && SimulatedSecondsAt(cancelledAt) <= t
            ? SimulatedSecondsAt(cancelledAt)
            : double.PositiveInfinity;
        var lost = _job.Lost && Math.Min(t, cancel) >= TrainingStart;
        if (Math.Min(t, cancel) < QueueSeconds)
        {
            return cancel <= t
                ? new SimulationSnapshot { Status = JobStatuses.Cancelled, Stage = JobStages.Cancelled, CompletedAt = _job.CancelledAt }
                : new SimulationSnapshot { Status = JobStatuses.Queued, Stage = JobStages.Queued };
        }

        var calls = _job.LifecycleCalls
            .Select(call => (call.Action, At: SimulatedSecondsAt(call.At), Real: call.At))
            .Where(call => call.At <= t)
            .OrderBy(call => call.At)
            .ToList();
        var nextCall = 0;
        var attempts = new List<AttemptSpan>();
        var checkpoints = new SortedDictionary<int, SavedCheckpoint>();
        var recoveries = 0;
        var startedAt = RealTimeAt(QueueSeconds);

        // the attempt being replayed
        var start = QueueSeconds;
        var startReal = startedAt;
        var startup = InitializationSeconds;
        var fromStep = 0;
        var fromWork = 0.0;
        while (true)
        {
            var number = attempts.Count + 1;
            var trainingStart = start + startup;
            var from = fromWork;
            double TimeAt(double work) => trainingStart + (work - from);

            // how it ends by itself
            var end = TimeAt(TotalWork);
            var outcome = AttemptOutcomes.Completed;
            var endWork = TotalWork;
            DateTimeOffset? endReal = null;
            if (FailureWork is { } failureWork && failureWork > fromWork && TimeAt(failureWork) <= end)
            {
                (end, outcome, endWork) = (TimeAt(failureWork), AttemptOutcomes.Failed, failureWork);
            }

            if (number == 1 && PreemptionWork is { } preemptionWork && preemptionWork > fromWork && TimeAt(preemptionWork) < end)
            {
                (end, outcome, endWork) = (TimeAt(preemptionWork), AttemptOutcomes.Preempted, preemptionWork);
            }

            // the first pause while it trains; a pause while it initialized, or a resume while it ran, did nothing
            while (nextCall < calls.Count && calls[nextCall].At < end)
            {
                var call = calls[nextCall++];
                if (call.Action == LifecycleCall.Pause && call.At >= trainingStart)
                {
                    (end, outcome, endWork, endReal) = (call.At, AttemptOutcomes.Paused, fromWork + (call.At - trainingStart), call.Real);
                    break;
                }
            }

            if (cancel < end)
            {
                (end, outcome, endReal) = (cancel, AttemptOutcomes.Cancelled, _job.CancelledAt);
                endWork = fromWork + Math.Max(0, cancel - trainingStart);
            }

            var running = end > t;
            var reached = running ? fromWork + Math.Max(0, t - trainingStart) : endWork;
            SavePeriodicCheckpoints(checkpoints, fromStep, fromWork, reached, TimeAt);
            if (!running && outcome == AttemptOutcomes.Paused)
            {
                SavePauseCheckpoint(checkpoints, endWork, end, endReal!.Value);
            }

            attempts.Add(new AttemptSpan
            {
                Number = number,
                Start = start,
                StartedAt = startReal,
                Startup = startup,
                FromStep = fromStep,
                FromWork = fromWork,
                End = running ? null : end,
                EndedAt = running ? null : endReal ?? RealTimeAt(end),
                Outcome = running ? AttemptOutcomes.Running : outcome,
                WorkReached = reached,
                Elapsed = (running ? t : end) - start,
            });

            SimulationSnapshot Snapshot(string status, string stage, WorkState state) => new()
            {
                Status = status,
                Stage = stage,
                CurrentStep = state.Step,
                CurrentEpoch = state.Epoch,
                CompletedValidations = state.Validations,
                WorkDone = state.Work,
                StartedAt = startedAt,
                Lost = lost,
                Attempts = attempts,
                Checkpoints = [.. checkpoints.Values],
                RecoveryCount = recoveries,
            };

            // the state of an attempt that has not trained yet: attempt 1 has done nothing, a restart stands on its checkpoint
            WorkState Initial() => fromStep == 0 ? new WorkState(JobStages.LoadingModel, 0, 0, 0, fromWork) : AtWork(fromWork);

            if (running)
            {
                if (t < trainingStart)
                {
                    var stage = number == 1 && t < start + InitializingStageSeconds ? JobStages.Initializing : JobStages.LoadingModel;
                    return Snapshot(JobStatuses.Initializing, stage, Initial());
                }

                var now = AtWork(reached);
                return Snapshot(JobStatuses.Running, now.Stage, now);
            }

            switch (outcome)
            {
                case AttemptOutcomes.Completed:
                    return Snapshot(JobStatuses.Completed, JobStages.Completed, new WorkState(JobStages.Completed, TotalSteps, Epochs, Epochs, TotalWork))
                        with { CompletedAt = RealTimeAt(end) };
                case AttemptOutcomes.Failed:
                    var failStep = Math.Clamp(_job.FailAtStep!.Value, 1, TotalSteps);
                    return Snapshot(JobStatuses.Failed, JobStages.Failed, AtWork(endWork)) with
                    {
                        CompletedAt = RealTimeAt(end),
                        ErrorMessage = $"CUDA out of memory at step {failStep}: tried to allocate 2.00 GiB on GPU 0 ({_job.GpuConfig.GpuType})",
                    };
                case AttemptOutcomes.Cancelled:
                    return Snapshot(JobStatuses.Cancelled, JobStages.Cancelled, end < trainingStart ? Initial() : AtWork(endWork))
                        with { CompletedAt = _job.CancelledAt };
            }

            // paused or preempted: it waits for a resume (or a cancellation)
            double? resumeAt = null;
            var resumeReal = default(DateTimeOffset);
            while (nextCall < calls.Count)
            {
                var call = calls[nextCall++];
                if (call.Action == LifecycleCall.Resume)
                {
                    (resumeAt, resumeReal) = (call.At, call.Real);
                    break;
                }
            }

            var waiting = outcome == AttemptOutcomes.Paused
                ? (Status: JobStatuses.Paused, Stage: JobStages.Paused)
                : (Status: JobStatuses.Recovering, Stage: JobStages.Recovering);
            if (resumeAt is not { } resume || cancel < resume)
            {
                return cancel <= t
                    ? Snapshot(JobStatuses.Cancelled, JobStages.Cancelled, AtWork(endWork)) with { CompletedAt = _job.CancelledAt }
                    : Snapshot(waiting.Status, waiting.Stage, AtWork(endWork));
            }

            if (outcome == AttemptOutcomes.Preempted)
            {
                recoveries++;
            }

            // the next attempt restarts from the latest checkpoint (the highest step: no checkpoint is ever ahead of
            // the work an attempt stopped at), or from the start without one
            var latest = checkpoints.Count > 0 ? checkpoints.Values.Last() : null;
            (start, startReal, startup) = (resume, resumeReal, _job.RestartSeconds);
            (fromStep, fromWork) = latest is null ? (0, 0.0) : (latest.Step, latest.ResumeWork);
        }
    }

    /// <summary>Periodic checkpoints every <see cref="CheckpointEvery"/> steps reached by an attempt, saved where the step's point is reported.</summary>
    private void SavePeriodicCheckpoints(SortedDictionary<int, SavedCheckpoint> checkpoints, int fromStep, double fromWork, double reached, Func<double, double> timeAt)
    {
        for (var step = Math.Max(CheckpointEvery, fromStep / CheckpointEvery * CheckpointEvery); step <= TotalSteps; step += CheckpointEvery)
        {
            var work = ReportWork(step);
            if (work <= fromWork)
            {
                continue;
            }

            if (work > reached)
            {
                break;
            }

            var at = timeAt(work);
            checkpoints[step] = NewCheckpoint(step, work, validated: IsEpochEnd(step), at, RealTimeAt(at));
        }
    }

    /// <summary>A pause saves a checkpoint of the last completed step (none before the first step).</summary>
    private void SavePauseCheckpoint(SortedDictionary<int, SavedCheckpoint> checkpoints, double work, double at, DateTimeOffset atReal)
    {
        var state = AtWork(work);
        if (state.Step == 0)
        {
            return;
        }

        var validated = IsEpochEnd(state.Step) && EpochOf(state.Step) <= state.Validations;
        var resumeWork = validated ? ValidationEndWork(EpochOf(state.Step)) : StepCompletedWork(state.Step);
        checkpoints[state.Step] = NewCheckpoint(state.Step, resumeWork, validated, at, atReal);
    }

    private SavedCheckpoint NewCheckpoint(int step, double resumeWork, bool validated, double at, DateTimeOffset atReal) =>
        new(step, EpochOf(step), resumeWork, at, atReal, Math.Round(TrainingLoss(step), 4), validated && Validates ? ValidationLoss(EpochOf(step)) : null);

    public double Progress(SimulationSnapshot snapshot)
    {
        if (snapshot.Status == JobStatuses.Completed)
        {
            return 100;
        }

        var fraction = Math.Clamp(snapshot.WorkDone / TotalWork, 0, 1);
        return Math.Min(99.99, Math.Floor(fraction * 10000) / 100);
    }

    // ---- metrics ----

    /// <summary>Steps that carry a metric point: every <see cref="LogEvery"/> steps plus each epoch's last step.</summary>
    public IEnumerable<int> LoggedSteps(int afterStep)
    {
        long step = Math.Max(0, afterStep);
        while (step < TotalSteps)
        {
            var nextLog = ((step / LogEvery) + 1) * LogEvery;
            var nextEpochEnd = ((step / StepsPerEpoch) + 1) * StepsPerEpoch;
            step = Math.Min(nextLog, nextEpochEnd);
            if (step > TotalSteps)
            {
                yield break;
            }

            yield return (int)step;
        }
    }

    /// <summary>
    /// Metric points reported up to a snapshot with step &gt; <paramref name="sinceStep"/>, in the order they were
    /// reported: attempt by attempt, each from its checkpoint on, so the steps an attempt ran again appear again
    /// (same step numbers and values, the later timestamp).
    /// </summary>
    public IEnumerable<MetricPoint> History(SimulationSnapshot snapshot, int sinceStep)
    {
        foreach (var attempt in snapshot.Attempts)
        {
            foreach (var step in LoggedSteps(Math.Max(sinceStep, attempt.FromStep - 1)))
            {
                var work = ReportWork(step);
                if (work <= attempt.FromWork)
                {
                    continue;
                }

                if (work > attempt.WorkReached)
                {
                    // the epoch-end point carries the validation loss; it appears once validation has finished
                    break;
                }

                yield return PointAt(step, withValidation: IsEpochEnd(step)) with { Timestamp = RealTimeAt(attempt.TimeAtWork(work)) };
            }
        }
    }

    /// <summary>The last instant an attempt reached a work position (null when none did).</summary>
    private DateTimeOffset? ReachedAt(SimulationSnapshot snapshot, double work)
    {
        for (var i = snapshot.Attempts.Count - 1; i >= 0; i--)
        {
            var attempt = snapshot.Attempts[i];
            if (work > attempt.FromWork && work <= attempt.WorkReached)
            {
                return RealTimeAt(attempt.TimeAtWork(work));
            }
        }

        return null;
    }

    public MetricPoint? CurrentPoint(SimulationSnapshot snapshot)
    {
        if (snapshot.CurrentStep <= 0)
        {
            return null;
        }

        var step = snapshot.CurrentStep;
        var point = PointAt(step, withValidation: false);
        point = point with { Timestamp = ReachedAt(snapshot, StepCompletedWork(step)) ?? point.Timestamp };
        if (snapshot.CompletedValidations > 0 && Validates)
        {
            var validatedEpoch = snapshot.CompletedValidations;
            point = point with { ValidationLoss = ValidationLoss(validatedEpoch) };
            if (IsEpochEnd(step) && EpochOf(step) == validatedEpoch)
            {
                point = point with { Timestamp = ReachedAt(snapshot, ValidationEndWork(validatedEpoch)) ?? RealTimeAt(ValidationEndTime(validatedEpoch)) };
            }
        }

        return point;
    }

    /// <summary>A step's point as an uninterrupted run reports it (values are a function of the step; the timestamp is the uninterrupted run's).</summary>
    public MetricPoint PointAt(int step, bool withValidation)
    {
        var epoch = EpochOf(step);
        var at = withValidation && IsEpochEnd(step) ? ValidationEndTime(epoch) : StepCompletedTime(step);
        var throughput = _job.GpuThroughput * _job.GpuConfig.NumGpus * (1 + (0.05 * DeterministicRandom.Signed(_seed, ChannelThroughput, step)));
        var utilisation = 85 + (13 * DeterministicRandom.Unit(_seed, ChannelUtilisation, step));
        var gradientNorm = (0.3 + (1.2 * Math.Exp(-3.5 * step / TotalSteps)))
            * (1 + (0.08 * DeterministicRandom.Signed(_seed, ChannelGradientNorm, step)));
        return new MetricPoint
        {
            Step = step,
            Epoch = epoch,
            TrainingLoss = Math.Round(TrainingLoss(step), 4),
            ValidationLoss = withValidation && IsEpochEnd(step) && Validates ? ValidationLoss(epoch) : null,
            LearningRate = RoundSignificant(LearningRate(step), 6),
            GradientNorm = Math.Round(gradientNorm, 4),
            Throughput = Math.Round(throughput, 1),
            GpuUtilization = Math.Round(utilisation, 1),
            Timestamp = RealTimeAt(at),
        };
    }

    /// <summary>Rounds to a number of significant digits (the nearest double to the short decimal).</summary>
    private static double RoundSignificant(double value, int digits) =>
        double.Parse(value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Noise-free training loss: exponential decay from the initial loss towards the floor.</summary>
    public double CleanLoss(int step) =>
        _lossFloor + ((_initialLoss - _lossFloor) * Math.Exp(-_decay * step / TotalSteps));

    public double TrainingLoss(int step) =>
        CleanLoss(step) * (1 + (0.03 * DeterministicRandom.Signed(_seed, ChannelTrainingNoise, step)));

    /// <summary>
    /// Validation loss at the end of an epoch: a little above the training loss, and rising by 0.04 per epoch
    /// beyond the third, so overfitting shows on long runs.
    /// </summary>
    public double ValidationLoss(int epoch)
    {
        var clean = CleanLoss(epoch * StepsPerEpoch);
        var gap = 1.04 + (0.02 * DeterministicRandom.Unit(_seed, ChannelValidationNoise, epoch));
        var overfitting = 0.04 * Math.Max(0, epoch - 3);
        return Math.Round((clean * gap) + overfitting, 4);
    }

    /// <summary>Linear warm-up over warmup_steps, then cosine decay from learning_rate to 0 at the last step.</summary>
    public double LearningRate(int step)
    {
        var peak = _job.Hyperparameters.LearningRate;
        if (WarmupSteps > 0 && step <= WarmupSteps)
        {
            return peak * step / WarmupSteps;
        }

        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((step - WarmupSteps) / (double)decaySteps, 0, 1);
        return peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>
    /// Where the loss settles, between 0.35 and 1.2: best near a learning rate of 2e-4, lower with a larger
    /// rank and with more epochs, plus a per-job offset.
    /// </summary>
    private static double LossFloor(double learningRate, int rank, int epochs, double unit)
    {
        var learningRatePenalty = 0.18 * Math.Abs(Math.Log10(learningRate / 2e-4));
        var rankBonus = 0.06 * Math.Log2(Math.Clamp(rank, 1, 256) / 8.0);
        var epochBonus = 0.07 * Math.Min(epochs - 1, 5);
        var floor = 0.95 + learningRatePenalty - rankBonus - epochBonus + (0.1 * (unit - 0.5));
        return Math.Clamp(floor, 0.35, 1.2);
    }
}
