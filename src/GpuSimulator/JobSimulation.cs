using System.Globalization;

namespace LoraPipeline.GpuSimulator;

/// <summary>Where a job stands at one instant; a pure function of the stored row and that instant.</summary>
internal sealed record SimulationSnapshot
{
    public required string Status { get; init; }

    public required string Stage { get; init; }

    public int CurrentStep { get; init; }

    public int CurrentEpoch { get; init; }

    /// <summary>Number of epochs whose end-of-epoch validation has finished.</summary>
    public int CompletedValidations { get; init; }

    /// <summary>Simulated seconds of work (training, validation, saving) done so far.</summary>
    public double WorkDone { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary>The cluster has forgotten the job (lost-job fault): it answers 404 from now on.</summary>
    public bool Lost { get; init; }

    public bool IsTerminal => Status is JobStatuses.Completed or JobStatuses.Failed or JobStatuses.Cancelled;
}

internal static class JobStatuses
{
    public const string Queued = "queued";
    public const string Initializing = "initializing";
    public const string Running = "running";
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
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The deterministic, accelerated life of one job. All durations are simulated seconds from the submission;
/// real instants are <c>submitted_at + simulated / time_scale</c>. Noise comes from <see cref="DeterministicRandom"/>
/// keyed by (job id, channel, step), so recomputation anywhere yields identical numbers.
/// </summary>
internal sealed class JobSimulation
{
    public const double QueueSeconds = 5;
    public const double InitializingStageSeconds = 4 * 60;
    public const double InitializationSeconds = 10 * 60;
    public const double ValidationSeconds = 5 * 60;
    public const double SavingSeconds = 5 * 60;
    public const int MaxHistoryPoints = 500;

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

        var tokensEstimate = job.DatasetBytes / 4.0;
        var tokensPerStep = tokensEstimate / job.TrainExamples * h.BatchSize;
        SecondsPerStep = tokensPerStep / (job.GpuThroughput * job.GpuConfig.NumGpus);

        _initialLoss = 2.2 + (0.6 * DeterministicRandom.Unit(_seed, ChannelInitialLoss, 0));
        _lossFloor = LossFloor(h.LearningRate, h.LoraRank, Epochs, DeterministicRandom.Unit(_seed, ChannelFloor, 0));
        _decay = 4.0 + DeterministicRandom.Unit(_seed, ChannelDecay, 0);

        if (job.FailAtStep is { } failAt)
        {
            FailureTime = StepStartTime(Math.Clamp(failAt, 1, TotalSteps)) + (SecondsPerStep / 2);
        }
    }

    public int Epochs { get; }

    public int StepsPerEpoch { get; }

    public int TotalSteps { get; }

    public int LogEvery { get; }

    public int WarmupSteps { get; }

    public double SecondsPerStep { get; }

    public double LossFloorValue => _lossFloor;

    public static double TrainingStart => QueueSeconds + InitializationSeconds;

    public double EpochTrainingSpan => StepsPerEpoch * SecondsPerStep;

    public double EpochSpan => EpochTrainingSpan + ValidationSeconds;

    public double TotalWork => (Epochs * EpochSpan) + SavingSeconds;

    public double CompletionTime => TrainingStart + TotalWork;

    public double? FailureTime { get; }

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

    public static bool ChooseLost(Guid jobId, double rate) =>
        rate > 0 && DeterministicRandom.Unit(DeterministicRandom.Seed(jobId), ChannelLost, 0) < rate;

    public static int TotalStepsFor(int trainExamples, int batchSize, int epochs) =>
        (int)Math.Ceiling(trainExamples / (double)batchSize) * epochs;

    // ---- time ----

    public double SimulatedSecondsAt(DateTimeOffset now) =>
        Math.Max(0, (now - _job.SubmittedAt).Ticks / (double)TimeSpan.TicksPerSecond * _job.TimeScale);

    public DateTimeOffset RealTimeAt(double simulatedSeconds)
    {
        var ticks = (long)Math.Round(simulatedSeconds / _job.TimeScale * TimeSpan.TicksPerSecond);
        ticks -= ticks % 10; // microseconds, like PostgreSQL
        return _job.SubmittedAt.AddTicks(ticks);
    }

    public int EpochOf(int step) => ((step - 1) / StepsPerEpoch) + 1;

    public double StepStartTime(int step)
    {
        var epoch = EpochOf(step);
        return TrainingStart + ((epoch - 1) * EpochSpan) + ((step - 1 - ((epoch - 1) * StepsPerEpoch)) * SecondsPerStep);
    }

    public double StepCompletedTime(int step) => StepStartTime(step) + SecondsPerStep;

    public double ValidationEndTime(int epoch) => TrainingStart + (epoch * EpochSpan);

    private bool IsEpochEnd(int step) => step % StepsPerEpoch == 0;

    // ---- state ----

    public SimulationSnapshot SnapshotAt(DateTimeOffset now)
    {
        var t = SimulatedSecondsAt(now);
        if (_job.CancelledAt is { } cancelledAt)
        {
            var c = SimulatedSecondsAt(cancelledAt);
            var atCancel = PhaseAt(Math.Min(t, c));
            if (atCancel.IsTerminal || atCancel.Lost || t < c)
            {
                return atCancel;
            }

            return atCancel with
            {
                Status = JobStatuses.Cancelled,
                Stage = JobStages.Cancelled,
                CompletedAt = cancelledAt,
            };
        }

        return PhaseAt(t);
    }

    /// <summary>The state the job ends in when nobody cancels it (completed, or failed by fault injection).</summary>
    public SimulationSnapshot EndState() => PhaseAt(double.PositiveInfinity);

    private SimulationSnapshot PhaseAt(double t)
    {
        DateTimeOffset? startedAt = t >= QueueSeconds ? RealTimeAt(QueueSeconds) : null;
        if (t < QueueSeconds)
        {
            return new SimulationSnapshot { Status = JobStatuses.Queued, Stage = JobStages.Queued };
        }

        if (t < QueueSeconds + InitializingStageSeconds)
        {
            return new SimulationSnapshot { Status = JobStatuses.Initializing, Stage = JobStages.Initializing, StartedAt = startedAt };
        }

        if (t < TrainingStart)
        {
            return new SimulationSnapshot { Status = JobStatuses.Initializing, Stage = JobStages.LoadingModel, StartedAt = startedAt };
        }

        var lost = _job.Lost;

        if (FailureTime is { } failureTime && t >= failureTime)
        {
            var failStep = Math.Clamp(_job.FailAtStep!.Value, 1, TotalSteps);
            var epoch = EpochOf(failStep);
            return new SimulationSnapshot
            {
                Status = JobStatuses.Failed,
                Stage = JobStages.Failed,
                CurrentStep = failStep - 1,
                CurrentEpoch = epoch,
                CompletedValidations = epoch - 1,
                WorkDone = failureTime - TrainingStart,
                StartedAt = startedAt,
                CompletedAt = RealTimeAt(failureTime),
                ErrorMessage = $"CUDA out of memory at step {failStep}: tried to allocate 2.00 GiB on GPU 0 ({_job.GpuConfig.GpuType})",
                Lost = lost,
            };
        }

        if (t >= CompletionTime)
        {
            return new SimulationSnapshot
            {
                Status = JobStatuses.Completed,
                Stage = JobStages.Completed,
                CurrentStep = TotalSteps,
                CurrentEpoch = Epochs,
                CompletedValidations = Epochs,
                WorkDone = TotalWork,
                StartedAt = startedAt,
                CompletedAt = RealTimeAt(CompletionTime),
                Lost = lost,
            };
        }

        var rel = t - TrainingStart;
        if (rel >= Epochs * EpochSpan)
        {
            return new SimulationSnapshot
            {
                Status = JobStatuses.Running,
                Stage = JobStages.Saving,
                CurrentStep = TotalSteps,
                CurrentEpoch = Epochs,
                CompletedValidations = Epochs,
                WorkDone = rel,
                StartedAt = startedAt,
                Lost = lost,
            };
        }

        var e = Math.Min(Epochs, (int)Math.Floor(rel / EpochSpan) + 1);
        var within = rel - ((e - 1) * EpochSpan);
        if (within < EpochTrainingSpan)
        {
            var stepsInEpoch = Math.Clamp((int)Math.Floor(within / SecondsPerStep), 0, StepsPerEpoch - 1);
            return new SimulationSnapshot
            {
                Status = JobStatuses.Running,
                Stage = JobStages.Training,
                CurrentStep = ((e - 1) * StepsPerEpoch) + stepsInEpoch,
                CurrentEpoch = e,
                CompletedValidations = e - 1,
                WorkDone = rel,
                StartedAt = startedAt,
                Lost = lost,
            };
        }

        return new SimulationSnapshot
        {
            Status = JobStatuses.Running,
            Stage = JobStages.Validating,
            CurrentStep = e * StepsPerEpoch,
            CurrentEpoch = e,
            CompletedValidations = e - 1,
            WorkDone = rel,
            StartedAt = startedAt,
            Lost = lost,
        };
    }

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

    /// <summary>Metric points visible in a snapshot with step &gt; <paramref name="sinceStep"/>, ascending.</summary>
    public IEnumerable<MetricPoint> History(SimulationSnapshot snapshot, int sinceStep)
    {
        foreach (var step in LoggedSteps(sinceStep))
        {
            if (step > snapshot.CurrentStep)
            {
                yield break;
            }

            if (IsEpochEnd(step) && EpochOf(step) > snapshot.CompletedValidations)
            {
                // the epoch-end point carries the validation loss; it appears once validation has finished
                yield break;
            }

            yield return PointAt(step, withValidation: IsEpochEnd(step));
        }
    }

    public MetricPoint? CurrentPoint(SimulationSnapshot snapshot)
    {
        if (snapshot.CurrentStep <= 0)
        {
            return null;
        }

        var step = snapshot.CurrentStep;
        var point = PointAt(step, withValidation: false);
        if (snapshot.CompletedValidations > 0)
        {
            var validatedEpoch = snapshot.CompletedValidations;
            point = point with { ValidationLoss = ValidationLoss(validatedEpoch) };
            if (IsEpochEnd(step) && EpochOf(step) == validatedEpoch)
            {
                point = point with { Timestamp = RealTimeAt(ValidationEndTime(validatedEpoch)) };
            }
        }

        return point;
    }

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
            ValidationLoss = withValidation && IsEpochEnd(step) ? ValidationLoss(epoch) : null,
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
