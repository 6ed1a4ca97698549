namespace LoraPipeline.Trainer.Training;

/// <summary>
/// Linear warm-up then cosine decay, the platform's schedule (the simulator's too): for optimiser step
/// s = 1..T with W warm-up steps, lr(s) = peak * s / W while s &lt;= W, then
/// peak * (1 + cos(pi * (s - W) / (T - W))) / 2, reaching 0 at the last step.
/// </summary>
public sealed record LrSchedule(double Peak, int WarmupSteps, int TotalSteps)
{
    public double At(int step)
    {
        if (WarmupSteps > 0 && step <= WarmupSteps)
        {
            return Peak * step / WarmupSteps;
        }

        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((step - WarmupSteps) / (double)decaySteps, 0, 1);
        return Peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
