using System.Text.Json;

namespace LoraPipeline.Cli.Api;

public sealed record CostPeriod(string Name, DateOnly StartDate, DateOnly EndDate);

public sealed record DailyAmount(DateOnly Date, decimal Amount);

public sealed record CostRecord(Guid Id, Guid? JobId, Guid? ArtifactId, string CostType, decimal Amount, DateOnly BillingPeriod, DateTimeOffset RecordedAt, IReadOnlyDictionary<string, JsonElement>? Details);

/// <summary><c>GET /api/costs</c>.</summary>
public sealed record CostReport(
    CostPeriod Period, decimal TotalCost, IReadOnlyDictionary<string, decimal> CostByType, IReadOnlyList<DailyAmount> ChartData,
    IReadOnlyList<CostRecord>? Records, Pagination? RecordsPagination);

/// <summary><c>GET/PUT /api/budget</c>. Status: none, ok, warning, exceeded.</summary>
public sealed record BudgetUsage(decimal? MonthlyLimit, bool HardLimit, string Month, decimal Spent, decimal Accruing, decimal Used, decimal? PercentUsed, string Status);

public sealed record Notification(Guid Id, string Type, string Title, string Message, string Priority, bool Read, string? ActionUrl, DateTimeOffset CreatedAt);

public sealed record NotificationList(IReadOnlyList<Notification> Notifications, long UnreadCount);

public sealed record ReadAllResult(long Marked, long UnreadCount);
