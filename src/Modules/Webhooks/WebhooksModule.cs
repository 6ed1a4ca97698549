using LoraPipeline.Webhooks.Delivery;
using LoraPipeline.Webhooks.Dispatch;
using LoraPipeline.Webhooks.Registration;
using LoraPipeline.Webhooks.Secrets;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace LoraPipeline.Webhooks;

/// <summary>
/// Webhooks: tell the user's own systems when a job, a model, a dataset or the budget changes. Reacts only to the
/// other modules' published events (a strict-order Marten subscription) and reads their resources through their
/// published contracts; each delivery is a durable Wolverine message signed by the Standard Webhooks scheme.
/// </summary>
public static class WebhooksModule
{
    public const string DeliveryQueue = "webhook-deliveries";

    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .Validate(o => o.RequestTimeout > TimeSpan.Zero && o.RetryFor >= TimeSpan.Zero && o.DisableAfter > TimeSpan.Zero, "Webhooks time limits must be positive.")
            .Validate(o => o.MaxPayloadBytes > 0 && o.MaxResponseBytes > 0 && o.ResponseExcerptBytes >= 0 && o.MaxParallelDeliveries > 0 && o.DispatchHopperSize > 0, "Webhooks size limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<SigningSecrets>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookPayloads>();
        services.AddHttpClient(WebhookSender.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan) // the sender's own time-out applies
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookSender.CreateHandler(sp.GetRequiredService<IOptions<WebhookOptions>>()))
            .RemoveAllLoggers(); // the default request logging would write the endpoint's URL with its query string

        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<Webhook>().Duplicate(w => w.CreatedAt);
            opts.Schema.For<WebhookDelivery>().UseOptimisticConcurrency(true)
                // the in-order checks look up a subject's earlier and next deliveries on every attempt
                .Duplicate(d => d.WebhookId).Duplicate(d => d.CreatedAt).Duplicate(d => d.Subject);
        });
        services.SubscribeToEventsWithServices<WebhookDispatchSubscription>(ServiceLifetime.Singleton);

        var parallel = builder.Configuration.GetValue(WebhookOptions.Section + ":MaxParallelDeliveries", 32);
        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(WebhooksModule).Assembly);
            // deliveries wait on other people's servers (up to 10 s each): their own queue keeps them from
            // holding up the platform's handlers
            opts.LocalQueue(DeliveryQueue).UseDurableInbox().MaximumParallelMessages(parallel);
            opts.PublishMessage<DeliverWebhook>().ToLocalQueue(DeliveryQueue);
        });
        return builder;
    }
}
