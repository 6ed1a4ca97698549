using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

public sealed class when_the_live_stream_is_not_available(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    protected override string Prefix => "no-stream";

    [Fact]
    public async Task the_monitor_polls_the_job_instead_and_still_follows_it_to_the_end()
    {
        var key = await Host.CreateUserAsync("robin-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await NewPageAsync();
        var jobReads = 0;
        page.Request += (_, request) =>
        {
            if (Regex.IsMatch(new Uri(request.Url).AbsolutePath, "^/api/jobs/[0-9a-f-]{36}$"))
            {
                Interlocked.Increment(ref jobReads);
            }
        };

        // as behind a proxy that does not pass event streams: every stream request fails
        await page.RouteAsync("**/api/jobs/*/stream", route => route.AbortAsync());

        await StepsAsync(page, async () =>
        {
            await SignInAsync(page, key);
            await page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(WriteValidDataset(Host.WorkDir, "polling.jsonl", 24));
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload and validate" }).ClickAsync();
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Ready", new() { Timeout = 30_000 });
            await page.GetByRole(AriaRole.Link, new() { Name = "Start training" }).ClickAsync();
            await page.GetByTestId("preset-fast").ClickAsync();
            await Expect(page.GetByTestId("estimate-steps")).ToHaveTextAsync("3");
            await page.GetByRole(AriaRole.Button, new() { Name = "Start training" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/training/jobs/[0-9a-f-]{36}$"));

            await Expect(page.GetByTestId("live-mode")).ToHaveTextAsync("Refreshing every 2 s");
            await ScreenshotAsync(page, "monitor-polling");
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Completed", new() { Timeout = 90_000 });
            await Expect(page.GetByTestId("live-mode")).ToHaveTextAsync("Final");
            await Expect(page.GetByTestId("loss-chart")).ToHaveAttributeAsync("data-points", new Regex("^[1-9][0-9]*$"));
            await Expect(page.GetByTestId("model-link")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            Assert.True(jobReads >= 2, $"the job was read {jobReads} time(s); polling reads it again and again");
            await AssertAccessibleAsync(page, "the monitor after polling");
            await ScreenshotAsync(page, "monitor-polled-to-the-end");
        });
    }
}
