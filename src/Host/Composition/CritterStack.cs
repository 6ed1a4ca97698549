using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.MultiTenancy;
using Marten;
using Npgsql;
using Wolverine;
using Wolverine.ErrorHandling;
using Weasel.Core;
using Wolverine.Marten;

namespace LoraPipeline.Host.Composition;

/// <summary>
/// Marten (event store and documents) and Wolverine (handlers, durable inbox/outbox, scheduled
/// messages) on one PostgreSQL. Every document and stream is owned by a user: conjoined tenancy
/// with the user id as tenant, so a session opened for one user cannot see another's data.
/// </summary>
internal static class CritterStack
{
    public static WebApplicationBuilder AddCritterStack(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set. Use ./run.sh (it starts a local PostgreSQL), or set ConnectionStrings__Postgres.");
        }

        var schema = builder.Configuration["Database:Schema"] ?? "lora";
        var cluster = builder.Configuration["Cluster:Mode"] ?? "Solo";
        var balanced = string.Equals(cluster, "Balanced", StringComparison.OrdinalIgnoreCase);

        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString) { Name = "lorapipeline" };
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            // Without prepared statements every pooled connection's reset (DISCARD ALL) also drops the
            // plans PL/pgSQL cached for Marten's append function, so each append planned it afresh:
            // measured 0.57 ms per append without, 0.20 ms with (README, Benchmarks, `jobs`).
            dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = builder.Configuration.GetValue("Database:MaxAutoPrepare", 64);
            dataSourceBuilder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        var dataSource = dataSourceBuilder.Build();
        builder.Services.AddSingleton(dataSource);

        var marten = builder.Services.AddMarten(opts =>
            {
                opts.DatabaseSchemaName = schema;
                opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                opts.Policies.AllDocumentsAreMultiTenanted();
                opts.Events.TenancyStyle = TenancyStyle.Conjoined;
                opts.Events.StreamIdentity = StreamIdentity.AsGuid;
                opts.UseSystemTextJsonForSerialization(EnumStorage.AsString);
                // Cost records and notifications should follow an event at once: LISTEN/NOTIFY wakes the
                // daemon on every append, where polling alone leaves an idle daemon up to 1 s behind.
                opts.Events.UseListenNotifyForEventAppends = true;
            })
            .UseNpgsqlDataSource()
            .IntegrateWithWolverine(w =>
            {
                w.MessageStorageSchemaName = schema + "_messages";
                // Published events reach the handlers of other modules (Artifacts collects a completed job's
                // files) through the outbox of the session that appended them: durable, and only once committed.
                w.UseFastEventForwarding = true;
                // Several nodes: Wolverine's leader assigns projection and subscription agents to
                // nodes (Marten's own hot/cold daemon needs lock types our restore lacks).
                w.UseWolverineManagedEventSubscriptionDistribution = balanced;
            });
        if (!balanced)
        {
            marten.AddAsyncDaemon(DaemonMode.Solo);
        }

        builder.Services.CritterStackDefaults(x =>
        {
            x.Development.GeneratedCodeMode = TypeLoadMode.Dynamic;
            x.Production.GeneratedCodeMode = TypeLoadMode.Static;
            x.Production.ResourceAutoCreate = AutoCreate.CreateOrUpdate;
        });

        builder.Host.UseWolverine(opts =>
        {
            opts.ServiceName = "lorapipeline";
            opts.Durability.Mode = balanced ? DurabilityMode.Balanced : DurabilityMode.Solo;
            if (balanced)
            {
                // A dead node's polls and projections move once its heartbeat is stale; Wolverine's
                // defaults (10 s heartbeats, stale after 1 min) would leave its jobs unpolled for over a minute.
                var heartbeat = builder.Configuration.GetValue("Cluster:HeartbeatInterval", 3.Seconds());
                opts.Durability.HealthCheckPollingTime = heartbeat;
                opts.Durability.StaleNodeTimeout = builder.Configuration.GetValue("Cluster:NodeTimeout", 10.Seconds());
                opts.Durability.NodeReassignmentPollingTime = heartbeat;
                opts.Durability.OrphanedMessageSweepPollingTime = heartbeat;
            }

            // Durable scheduled messages (job polls) are found by polling the envelope table; the
            // default 5 s would add up to 5 s of lag to every poll.
            opts.Durability.ScheduledJobPollingTime =
                builder.Configuration.GetValue("Messaging:ScheduledPollingInterval", 250.Milliseconds());
            // due scheduled messages are loaded a page at a time per polling round: 100 per 250 ms
            // would cap polls at 400/s
            opts.Durability.RecoveryBatchSize = 1000;
            opts.Policies.AutoApplyTransactions();
            // Local queues are durable: a poll or submission scheduled before a crash still runs after it.
            opts.Policies.UseDurableLocalQueues();
            opts.AutoBuildMessageStorageOnStartup = AutoCreate.CreateOrUpdate;

            // Two writers raced on one stream (a poll and a cancel, say): run the handler again on the
            // fresh stream. A stale explicit version is a plain ConcurrencyException and is not retried.
            opts.OnException<EventStreamUnexpectedMaxEventIdException>()
                .RetryWithCooldown(10.Milliseconds(), 25.Milliseconds(), 50.Milliseconds(), 100.Milliseconds(), 250.Milliseconds(), 500.Milliseconds());

            // PostgreSQL restarting or failing over, a network blip, a command time-out: without a rule
            // the message goes straight to the error queue, and a job whose poll was lost stays
            // "running" for good. Retry in place, then later, before giving up.
            opts.OnException(IsTransientDatabaseFailure)
                .RetryWithCooldown(100.Milliseconds(), 500.Milliseconds(), 2.Seconds())
                .Then.ScheduleRetry(10.Seconds(), 30.Seconds(), 1.Minutes(), 5.Minutes());

            var codegen = builder.Configuration["Wolverine:CodegenMode"];
            if (Enum.TryParse<TypeLoadMode>(codegen, ignoreCase: true, out var mode))
            {
                opts.CodeGeneration.TypeLoadMode = mode;
            }
        });

        return builder;
    }

    private static bool IsTransientDatabaseFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
