using LoraPipeline.Trainer.Training;

namespace LoraPipeline.Trainer.Tests;

public class LrScheduleTests
{
    [Fact]
    public void warm_up_is_linear_to_the_peak()
    {
        var schedule = new LrSchedule(1e-3, WarmupSteps: 4, TotalSteps: 20);
        Assert.Equal(0.25e-3, schedule.At(1), 12);
        Assert.Equal(0.5e-3, schedule.At(2), 12);
        Assert.Equal(1e-3, schedule.At(4), 12);
    }

    [Fact]
    public void after_warm_up_it_decays_along_a_cosine_to_zero_at_the_last_step()
    {
        var schedule = new LrSchedule(1e-3, WarmupSteps: 4, TotalSteps: 20);
        Assert.Equal(0.5e-3, schedule.At(12), 12); // half-way through the 16 decay steps
        Assert.Equal(1e-3 * 0.5 * (1 + Math.Cos(Math.PI * 3 / 16)), schedule.At(7), 12);
        Assert.Equal(0, schedule.At(20), 12);
        for (var s = 5; s < 20; s++)
        {
            Assert.True(schedule.At(s + 1) < schedule.At(s), $"not decreasing at step {s}");
        }
    }

    [Fact]
    public void without_warm_up_the_first_step_uses_nearly_the_peak()
    {
        var schedule = new LrSchedule(2e-4, WarmupSteps: 0, TotalSteps: 10);
        Assert.Equal(2e-4 * 0.5 * (1 + Math.Cos(Math.PI / 10)), schedule.At(1), 15);
        Assert.Equal(0, schedule.At(10), 15);
    }
}
