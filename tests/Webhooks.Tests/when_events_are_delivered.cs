using Alba;
using Marten;
using Marten.Events;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Microsoft.AspNetCore.Http;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Webhooks.Tests;

/// <summary>Deliveries to a receiver on loopback, verified by the Standard Webhooks rules.</summary>
public sealed class when_events_are_delivered(WebhookHost platform) : IClassFixture<WebhookHost>
{
    private WebhookReceiver Receiver => platform.Receiver;

    [Fact]
    public async Task every_event_of_a_job_arrives_once_in_order_and_verified()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40)))["id"]!.GetValue<Guid>();
        var (webhook, secret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("job-flow"));

        var job = await platform.StartJobAsync(user, dataset);
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, job, 1);

        var expected = new[] { "job.queued", "job.running", "job.succeeded" };
        var received = await Receiver.WaitForAsync("job-flow", r => r.OfJob(job).Count >= expected.Length && r.Any(x => x.Type == "model.ready"));

        var ofJob = received.OfJob(job);
        Assert.Equal(expected, ofJob.Select(r => r.Type));
        Assert.All(received, r => Assert.True(r.VerifiesWith(secret), $"{r.Type} does not verify"));
        Assert.Equal(received.Count, received.Select(r => r.Id).Distinct().Count());
        Assert.Equal("completed", ofJob[^1].Json["data"]!["status"]!.GetValue<string>());
        Assert.Equal(job, ofJob[^1].Json["data"]!["id"]!.GetValue<Guid>());
        var model = received.Single(r => r.Type == "model.ready");
        Assert.Equal(job, model.Json["data"]!["job_id"]!.GetValue<Guid>());

        var log = await platform.EventuallyAsync(user, $"/api/webhooks/{webhook}/deliveries?limit=100",
            l => l["deliveries"]!.AsArray().All(d => d!["status"]!.GetValue<string>() == "succeeded"));
        var deliveries = log["deliveries"]!.AsArray();
        Assert.Equal(received.Count, deliveries.Count);
        Assert.All(deliveries, d =>
        {
            Assert.Equal("succeeded", d!["status"]!.GetValue<string>());
            Assert.Equal(1, d["attempts"]!.GetValue<int>());
            Assert.Equal(200, d["response_code"]!.GetValue<int>());
            Assert.StartsWith("received job-flow", d["response_excerpt"]!.GetValue<string>());
        });
        Assert.Equal(received.Select(r => r.Id).Order(), deliveries.Select(d => d!["webhook_message_id"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task a_dataset_event_carries_the_dataset_as_the_api_shows_it_and_the_filter_holds()
    {
        var user = await platform.CreateUserAsync();
        var (_, secret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("datasets"), ["dataset.ready", "dataset.failed"]);

        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(20), name: "Hooked chats"))["id"]!.GetValue<Guid>();

        var ready = (await Receiver.WaitForAsync("datasets", r => r.Count >= 1)).Single();
        Assert.Equal("dataset.ready", ready.Type);
        Assert.True(ready.VerifiesWith(secret));
        Assert.Equal(dataset, ready.Json["data"]!["id"]!.GetValue<Guid>());
        Assert.Equal("Hooked chats", ready.Json["data"]!["name"]!.GetValue<string>());
        Assert.Equal("ready", ready.Json["data"]!["status"]!.GetValue<string>());
        Assert.NotNull(ready.Json["timestamp"]);
    }

    [Fact]
    public async Task a_receiver_answering_500_then_200_gets_the_same_delivery_again()
    {
        var user = await platform.CreateUserAsync();
        var (webhook, secret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("flaky"));
        Receiver.Script("flaky", 500, 500);

        var delivery = await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/test", 202);
        var received = await Receiver.WaitForAsync("flaky", r => r.Any(x => x.AnsweredWith == 200));

        Assert.Equal([500, 500, 200], received.Select(r => r.AnsweredWith));
        Assert.Single(received.Select(r => r.Id).Distinct());
        Assert.Equal(delivery["webhook_message_id"]!.GetValue<string>(), received[0].Id);
        Assert.All(received, r => Assert.True(r.VerifiesWith(secret)));
        Assert.Equal("webhook.test", received[0].Type);

        var logged = (await platform.EventuallyAsync(user, $"/api/webhooks/{webhook}/deliveries", d => d["deliveries"]![0]!["status"]!.GetValue<string>() == "succeeded"))["deliveries"]![0]!;
        Assert.Equal(3, logged["attempts"]!.GetValue<int>());
        Assert.Equal(200, logged["response_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_second_message_for_an_attempt_in_flight_does_not_send_the_delivery_twice()
    {
        var user = await platform.CreateUserAsync();
        var (webhook, _) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("held-twice"));
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Receiver.Holds["held-twice"] = hold;
        var delivery = (await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/test", 202))["id"]!.GetValue<Guid>();
        await Receiver.WaitForArrivalsAsync(a => a.Any(x => x.Path == "held-twice"), TimeSpan.FromSeconds(30));

        // the same attempt's message again while the request is held (a wake-up and a recheck can both send one):
        // the attempt's claim holds the duplicate back instead of sending a second request at once
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(30))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c => c.InvokeForTenantAsync(user.Tenant, new Delivery.DeliverWebhook(delivery, 1))));
        Assert.Single(Receiver.Arrivals, a => a.Path == "held-twice");

        hold.SetResult();
        var logged = (await platform.EventuallyAsync(user, $"/api/webhooks/{webhook}/deliveries", d => d["deliveries"]![0]!["status"]!.GetValue<string>() == "succeeded"))["deliveries"]![0]!;
        Assert.Equal(1, logged["attempts"]!.GetValue<int>());
        Assert.Single(Receiver.Arrivals, a => a.Path == "held-twice");
    }

    [Fact]
    public async Task a_rotated_secret_and_the_previous_one_both_verify_during_the_overlap()
    {
        var user = await platform.CreateUserAsync();
        var (webhook, oldSecret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("rotating"));
        var rotated = await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/rotate-secret");
        var newSecret = rotated["secret"]!.GetValue<string>();
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(2, rotated["webhook"]!["active_secrets"]!.GetValue<int>());

        await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/test", 202);
        var received = (await Receiver.WaitForAsync("rotating", r => r.Count >= 1)).Single();
        Assert.True(received.VerifiesWith(newSecret));
        Assert.True(received.VerifiesWith(oldSecret));
        Assert.False(received.VerifiesWith("whsec_" + Convert.ToBase64String(new byte[32])));

        // past the overlap only the new secret signs
        platform.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/test", 202);
        var later = (await Receiver.WaitForAsync("rotating", r => r.Count >= 2))[1];
        Assert.True(later.VerifiesWith(newSecret));
        Assert.False(later.VerifiesWith(oldSecret));
    }

    [Fact]
    public async Task an_endpoint_failing_for_a_day_is_disabled_and_its_delivery_can_be_retried_by_hand_with_the_same_webhook_id()
    {
        var user = await platform.CreateUserAsync();
        var (webhook, secret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("down"));
        Receiver.Script("down", Enumerable.Repeat(503, 1000).ToArray());
        var sent = await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/test", 202);
        var delivery = sent["id"]!.GetValue<Guid>();
        await platform.EventuallyAsync(user, $"/api/webhooks/{webhook}/deliveries", d => d["deliveries"]![0]!["attempts"]!.GetValue<int>() >= 1);

        // a day of failures later (on the platform's clock) the delivery is given up and the endpoint disabled
        platform.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        var failed = await platform.EventuallyAsync(user, $"/api/webhooks/{webhook}/deliveries", d => d["deliveries"]![0]!["status"]!.GetValue<string>() == "failed");
        Assert.Equal(503, failed["deliveries"]![0]!["response_code"]!.GetValue<int>());
        var disabled = await platform.GetDataAsync(user, $"/api/webhooks/{webhook}");
        Assert.False(disabled["enabled"]!.GetValue<bool>());
        Assert.Contains("failed for 24 hours", disabled["disabled_reason"]!.GetValue<string>());
        await platform.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
        var inbox = (await platform.GetDataAsync(user, "/api/notifications"))["notifications"]!.AsArray();
        var notice = Assert.Single(inbox, n => n!["type"]!.GetValue<string>() == "webhook_disabled")!;
        Assert.Contains(Receiver.UrlFor("down"), notice["message"]!.GetValue<string>());

        var whileDisabled = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { }).ToUrl($"/api/webhooks/{webhook}/deliveries/{delivery}/retry");
            s.StatusCodeShouldBe(409);
        });
        await whileDisabled.Problem(409);

        Receiver.Script("down", 200);
        await platform.Host.Scenario(s => s.As(user).Patch.Json(new { enabled = true }).ToUrl($"/api/webhooks/{webhook}"));
        await platform.PostDataAsync(user, $"/api/webhooks/{webhook}/deliveries/{delivery}/retry", 202);
        var received = await Receiver.WaitForAsync("down", r => r.Any(x => x.AnsweredWith == 200));
        Assert.Single(received.Select(r => r.Id).Distinct());
        Assert.True(received[^1].VerifiesWith(secret));
        await platform.EventuallyAsync(user, $"/api/webhooks/{webhook}/deliveries", d => d["deliveries"]![0]!["status"]!.GetValue<string>() == "succeeded");

        var succeeded = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { }).ToUrl($"/api/webhooks/{webhook}/deliveries/{delivery}/retry");
            s.StatusCodeShouldBe(409);
        });
        await succeeded.Problem(409);
        var stranger = await platform.CreateUserAsync();
        await Isolation.AssertHiddenFromStranger(platform, stranger,
            $"/api/webhooks/{webhook}/deliveries/{delivery}/retry", $"/api/webhooks/{webhook}/deliveries/{Guid.NewGuid()}/retry", HttpMethod.Post);
    }
}
