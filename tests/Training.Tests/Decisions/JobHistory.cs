using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Tests.Decisions;

/// <summary>
/// "Given these events": a job's state built from its history by the same projection the event store runs,
/// so a decision under test sees exactly what it would see in production.
/// </summary>
internal static class JobHistory
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    public static readonly Guid JobId = Guid.Parse("0b5c2f52-2a1b-4c3e-9f00-000000000001");

    public static readonly GpuConfig TwoA100s = new("A100-80GB", 2, 80, 3.50m);

    public static TrainingJobQueued Queued(decimal estimatedCost = 4.02m, decimal estimatedHours = 0.5m) => new(
        JobId, Guid.NewGuid(), Guid.NewGuid(), "Support chats", "brightrun_lora_v4", 180, "balanced",
        new Hyperparameters("mistralai/Mistral-7B-v0.1", 0.00005m, 4, 3, 16, 32, 0.05m), TwoA100s, 135, estimatedCost, estimatedHours,
        null, "fingerprint", T0, 11_000);

    public static TrainingJobStarted Started(DateTimeOffset at) =>
        new(JobId, at, at.AddHours(0.5), TwoA100s.HourlyRate, TwoA100s.GpuType, TwoA100s.NumGpus);

    public static TrainingJob Given(params object[] events)
    {
        var projection = new TrainingJobProjection();
        var job = TrainingJobProjection.FromQueued((TrainingJobQueued)events[0], T0);
        foreach (var e in events.Skip(1))
        {
            ((dynamic)projection).Apply((dynamic)e, job);
            job.Version++;
        }

        return job;
    }
}
