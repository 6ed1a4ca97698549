using JasperFx.Events.Projections;
using LoraPipeline.Billing.Budgets;
using LoraPipeline.Billing.Costs;
using LoraPipeline.Billing.Notifications;
using LoraPipeline.Training.Contracts;
using Marten;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Billing;

/// <summary>
/// Billing: cost records and a daily roll-up (async projections over job and model events),
/// cost analytics, budgets with alerts and a hard limit, and the notification inbox (an async
/// projection over the events of every module).
/// </summary>
public static class BillingModule
{
    public static IHostApplicationBuilder AddBilling(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BudgetOptions>().BindConfiguration(BudgetOptions.Section)
            .Validate(o => o.BudgetCheckInterval > TimeSpan.Zero, "Billing:BudgetCheckInterval must be positive.")
            .ValidateOnStart();
        services.AddOptions<HardLimitOptions>().BindConfiguration(HardLimitOptions.Section)
            .Validate(o => Enum.IsDefined(o.OnHardLimit), "Budget:OnHardLimit must be cancel or pause.")
            .ValidateOnStart();
        services.Replace(ServiceDescriptor.Singleton<IJobAdmission, BudgetAdmission>());
        services.Replace(ServiceDescriptor.Singleton<IJobCostRecords, JobCostRecords>());
        services.AddHostedService<BudgetWatch>();

        services.ConfigureMarten(opts =>
        {
            opts.Projections.Add<CostRecordsProjection>(ProjectionLifecycle.Async);
            opts.Projections.Add<DailyCostProjection>(ProjectionLifecycle.Async);
            opts.Projections.Add<NotificationInboxProjection>(ProjectionLifecycle.Async);
            opts.Projections.Add<BudgetProjection>(ProjectionLifecycle.Inline);
            opts.Schema.For<CostRecord>().Duplicate(r => r.BillingPeriod).Duplicate(r => r.RecordedAt).Duplicate(r => r.JobId);
            opts.Schema.For<DailyCost>().Duplicate(d => d.Date);
            opts.Schema.For<Notification>().Duplicate(n => n.CreatedAt).Duplicate(n => n.Read);
        });

        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(BillingModule).Assembly));
        return builder;
    }
}
