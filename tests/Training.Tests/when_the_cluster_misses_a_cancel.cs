using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.GpuCluster;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>What the platform's own calls to the cluster meet on the way, switched by the test.</summary>
public sealed class ClusterLine
{
    /// <summary>Cancels answer 503 without reaching the cluster (its API is down for them).</summary>
    public volatile bool CancelsDown;

    /// <summary>Submissions reach the cluster, but their answer is lost (a time-out on the way back).</summary>
    public volatile bool SubmitAnswersLost;
}

public sealed class ClusterLineHost : ClusterHost
{
    public ClusterLine Line { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddHttpClient<GpuClusterClient>().AddHttpMessageHandler(() => new OnTheLine(Line));

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GpuCluster:MaxSubmitAttempts"] = "2";
        // the test sends the reconciliation itself, once it has seen it scheduled
        settings["GpuCluster:ReconcileAbandonedAfter"] = "01:00:00";
        // resent after a second of the test's clock, so the cluster's job is still running when the resend arrives
        settings["GpuCluster:ClusterCancelResendAfter"] = "00:00:01";
    }

    private sealed class OnTheLine(ClusterLine line) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (line.CancelsDown && path.Contains("/training/cancel/", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = JsonContent.Create(new { error = "down for the test" }) };
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (line.SubmitAnswersLost && path.EndsWith("/training/submit", StringComparison.Ordinal))
            {
                response.Dispose();
                return new HttpResponseMessage(HttpStatusCode.GatewayTimeout) { Content = JsonContent.Create(new { error = "the answer was lost" }) };
            }

            return response;
        }
    }
}

/// <summary>
/// A cancel is never forgotten: the job ends here at once, and its cluster side stays "cancel pending" until the
/// cluster confirms; the job watch sends it again. A submission given up after time-outs is looked up on the cluster
/// by its idempotency key, and a job the cluster made anyway is cancelled there, so nothing trains unbilled.
/// </summary>
public sealed class when_the_cluster_misses_a_cancel(ClusterLineHost platform) : IClassFixture<ClusterLineHost>
{
    [Fact]
    public async Task a_cancel_sent_while_the_cluster_was_down_stays_pending_and_the_watch_sends_it_again_until_confirmed()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        var external = (await platform.JobAsync(user, id))["job"]!["external_job_id"]!.GetValue<string>();

        platform.Line.CancelsDown = true;
        await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{id}/cancel"));
        var cancelled = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal(("cancelled", "pending"), (cancelled["status"]!.GetValue<string>(), cancelled["cluster_cancel"]!.GetValue<string>()));
        Assert.NotEqual("cancelled", (await ClusterStatusAsync(external))["status"]!.GetValue<string>());

        platform.Line.CancelsDown = false;
        platform.Clock.Advance(TimeSpan.FromSeconds(2));
        var watch = platform.Services.GetRequiredService<JobWatch>();
        var resent = 0;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            resent = await watch.ResendUnconfirmedCancelsAsync(CancellationToken.None)));

        Assert.Equal(1, resent);
        Assert.Equal("confirmed", (await platform.JobAsync(user, id))["job"]!["cluster_cancel"]!.GetValue<string>());
        Assert.Equal("cancelled", (await ClusterStatusAsync(external))["status"]!.GetValue<string>());
        Assert.Equal(0, await watch.ResendUnconfirmedCancelsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task a_submission_given_up_after_time_outs_is_found_on_the_cluster_and_cancelled_there()
    {
        var user = await platform.CreateUserAsync();
        platform.Line.SubmitAnswersLost = true;
        try
        {
            var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
            var submitted = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c =>
                c.InvokeForTenantAsync(user.Tenant, new SubmitTrainingJob(id, 2))));
            var reconcile = submitted.Scheduled.SingleMessage<ReconcileAbandonedSubmission>();
            Assert.Equal(id, reconcile.JobId);
            Assert.Null((await platform.JobAsync(user, id))["job"]!["cluster_cancel"]); // nothing known of a cluster job yet

            await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c =>
                c.InvokeForTenantAsync(user.Tenant, reconcile)));

            var failed = (await platform.JobAsync(user, id))["job"]!;
            Assert.Equal("failed", failed["status"]!.GetValue<string>());
            Assert.Contains("Could not submit", failed["error_message"]!.GetValue<string>());
            Assert.Equal("confirmed", failed["cluster_cancel"]!.GetValue<string>()); // found by its key, cancelled, confirmed
            Assert.Equal("cancelled", (await ClusterStatusAsync("sim-" + id.ToString("N")))["status"]!.GetValue<string>());
        }
        finally
        {
            platform.Line.SubmitAnswersLost = false;
        }
    }

    private async Task<JsonNode> ClusterStatusAsync(string externalJobId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(platform.SimulatorUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterHost.ClusterKey);
        return (await http.GetFromJsonAsync<JsonNode>($"/training/status/{externalJobId}"))!;
    }
}
