using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Billing.Budgets;
using LoraPipeline.Billing.Contracts;
using LoraPipeline.Billing.Costs;
using LoraPipeline.Billing.Notifications;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Billing.Tests;

/// <summary>Billing's pure rules: given a published event, the bill and the notification it makes (no host, no database).</summary>
public sealed class when_billing_rules_meet_events
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid JobId = Guid.Parse("6f1b3a84-0000-4000-8000-000000000001");
    private static readonly GpuUsage TwoA100sForAnHour = new("A100-80GB", 2, 7.00m, Noon.AddHours(-1), Noon);

    [Fact]
    public void a_completed_job_bills_its_final_cost_once_as_compute_on_the_day_it_ended()
    {
        var line = CostRules.From(new TrainingJobCompleted(JobId, Noon, 7.00m, TwoA100sForAnHour))!;

        Assert.Equal(CostTypes.TrainingCompute, line.CostType);
        Assert.Equal(7.00m, line.Amount);
        Assert.Equal(new DateOnly(2026, 12, 3), line.BillingPeriod);
        Assert.Equal(1.0m, line.Details["duration_hours"]);
        // the id derives from the job: a replay of the event bills nothing more
        Assert.Equal(line.Id, CostRules.From(new TrainingJobCompleted(JobId, Noon, 7.00m, TwoA100sForAnHour))!.Id);
    }

    [Fact]
    public void a_job_that_never_started_bills_nothing_and_one_cancelled_while_running_bills_its_time() 
    {
        Assert.Null(CostRules.From(new TrainingJobCancelled(JobId, "Cancelled by the user.", Noon, 0m, null)));
        Assert.Equal(3.50m, CostRules.From(new TrainingJobCancelled(JobId, "Cancelled by the user.", Noon, 3.50m,
            TwoA100sForAnHour with { StartedAt = Noon.AddMinutes(-30) }))!.Amount);
    }

    [Fact]
    public void a_stored_model_bills_fifty_cents_of_storage_once()
    {
        var artifactId = Guid.NewGuid();
        var line = CostRules.From(new ArtifactReady(artifactId, JobId, Guid.NewGuid(), "Support chats - Dec 3", 4, 13_000_000, false, Noon))!;

        Assert.Equal((CostTypes.Storage, 0.50m, artifactId), (line.CostType, line.Amount, line.ArtifactId));
    }

    [Fact]
    public void a_budget_cancellation_is_told_as_one_and_a_users_as_a_plain_cancel()
    {
        var byBudget = NotificationRules.For(Guid.NewGuid(), new TrainingJobCancelled(JobId, "any words", Noon, 1.25m, TwoA100sForAnHour, JobCancelCause.BudgetHardLimit), Noon)!;
        var byUser = NotificationRules.For(Guid.NewGuid(), new TrainingJobCancelled(JobId, "the word budget, but the user's", Noon, 1.25m, TwoA100sForAnHour), Noon)!;

        Assert.Equal("Your training job was cancelled because the monthly budget's hard limit was reached. Cost: $1.25", byBudget.Message);
        Assert.Equal("Your training job was cancelled. Cost: $1.25", byUser.Message);
        Assert.Equal(("job_cancelled", $"/training/jobs/{JobId}"), (byUser.Type, byUser.ActionUrl));
    }

    [Fact]
    public void internal_progress_notifies_nothing() =>
        Assert.Null(NotificationRules.For(Guid.NewGuid(), new MetricPoint(1, 1, 2.0, null, 1e-4, null, null, null, Noon), Noon));

    [Theory]
    [InlineData(79.9, new int[0])]
    [InlineData(80.0, new[] { 80 })]
    [InlineData(100.0, new[] { 80, 100 })]
    public void crossing_eighty_and_a_hundred_percent_notifies_each_threshold_once_a_month(double percent, int[] expected)
    {
        var budget = new Budget { UserId = Guid.NewGuid(), MonthlyLimit = 100m };
        var usage = new BudgetUsage(100m, false, "2026-12", (decimal)percent, 0m, (decimal)percent, (decimal)percent, BudgetStatus.Ok);

        Assert.Equal(expected, BudgetRules.Crossed(budget, usage, Noon).Select(e => e.Percent));

        budget.Notified.AddRange(expected.Select(p => $"2026-12:{p}"));
        Assert.Empty(BudgetRules.Crossed(budget, usage, Noon));
    }

    [Fact]
    public void an_exceeded_hard_budget_says_jobs_are_stopped()
    {
        var exceeded = NotificationRules.For(Guid.NewGuid(), new BudgetThresholdReached(Guid.NewGuid(), "2026-12", 100, 101m, 100m, true, Noon), Noon)!;

        Assert.Equal("budget_exceeded", exceeded.Type);
        Assert.EndsWith("New jobs are refused and running jobs are stopped.", exceeded.Message);
    }
}
