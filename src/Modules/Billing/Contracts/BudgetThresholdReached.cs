namespace LoraPipeline.Billing.Contracts;

/// <summary>
/// Published fact, on the user's budget stream: this month's spending crossed <paramref name="Percent"/>% of the
/// budget (80: a warning, 100: exceeded), once per month and threshold. The inbox notifies it; with
/// <paramref name="HardLimit"/> the running jobs are being stopped (cancelled or paused, Budget:OnHardLimit) and new ones refused.
/// </summary>
public sealed record BudgetThresholdReached(Guid UserId, string Month, int Percent, decimal Used, decimal MonthlyLimit, bool HardLimit, DateTimeOffset At);
