using System.Text.RegularExpressions;
using LoraPipeline.TestKit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

public sealed class when_a_user_adds_a_webhook_in_the_browser(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    protected override string Prefix => "webhooks";

    [Fact]
    public async Task the_secret_shows_once_a_test_arrives_signed_and_the_log_shows_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await Host.CreateUserAsync("hooks-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await NewPageAsync();
        await StepsAsync(page, async () =>
        {
            await SignInAsync(page, key);
            await NavigateAsync(page, "Webhooks");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No webhooks yet" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the empty webhook page");

            // an http URL to a public name would be refused; this Host allows the local receiver
            await page.GetByLabel("Endpoint URL").FillAsync(receiver.UrlFor("browser"));
            await page.GetByLabel("Description").FillAsync("CI pipeline");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
            var secret = page.GetByTestId("webhook-secret");
            await Expect(secret).ToHaveTextAsync(new Regex("^whsec_"));
            var secretText = await secret.TextContentAsync();
            var row = page.GetByTestId("webhook-row");
            await Expect(row).ToContainTextAsync("all events · CI pipeline");
            await ScreenshotAsync(page, "added");

            await row.GetByRole(AriaRole.Button, new() { Name = "Send test" }).ClickAsync();
            var delivery = row.GetByTestId("delivery-row");
            await Expect(delivery).ToContainTextAsync("webhook.test");
            await Expect(delivery.Locator("[data-status]")).ToHaveTextAsync("Succeeded", new() { Timeout = 20_000 });
            var received = await receiver.WaitForAsync("browser", r => r.Count >= 1);
            Assert.True(received[0].VerifiesWith(secretText!), "the delivery verifies with the secret the page showed");
            await AssertAccessibleAsync(page, "a webhook with its delivery log");
            await ScreenshotAsync(page, "delivered");

            await row.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
            await row.GetByRole(AriaRole.Checkbox, new() { Name = "job.failed" }).CheckAsync();
            await row.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Expect(row).ToContainTextAsync("job.failed · CI pipeline");

            // a reload shows the webhook without its secret
            await page.ReloadAsync();
            await Expect(page.GetByTestId("webhook-row")).ToContainTextAsync(receiver.UrlFor("browser"));
            await Expect(page.GetByTestId("webhook-secret")).ToHaveCountAsync(0);
            Assert.DoesNotContain(secretText!, await page.ContentAsync());
        });
    }
}
