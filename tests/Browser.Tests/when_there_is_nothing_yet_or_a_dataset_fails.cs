using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

public sealed class when_there_is_nothing_yet_or_a_dataset_fails(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    protected override string Prefix => "empty-and-failed";

    [Fact]
    public async Task empty_lists_and_a_failed_dataset_look_deliberate()
    {
        // a user of their own, so that nothing another test made shows up
        var key = await Host.CreateUserAsync("casey-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await NewPageAsync();
        await StepsAsync(page, async () =>
        {
            await SignInAsync(page, key);

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No datasets yet" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the empty dataset list");
            await ScreenshotAsync(page, "datasets-empty");

            await NavigateAsync(page, "Jobs");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No training jobs yet" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the empty job list");
            await ScreenshotAsync(page, "jobs-empty");

            await NavigateAsync(page, "Models");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No models yet" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the empty model list");
            await ScreenshotAsync(page, "models-empty");

            await NavigateAsync(page, "Configure");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No dataset is ready for training" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "configure without a dataset");

            await NavigateAsync(page, "Costs");
            await Expect(page.GetByTestId("cost-total")).ToHaveTextAsync("$0.00");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Nothing was spent in this period" })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("budget-status")).ToHaveTextAsync("No monthly limit set");
            await AssertAccessibleAsync(page, "the costs page without costs");
            await ScreenshotAsync(page, "costs-empty");

            await page.GetByRole(AriaRole.Button, new() { Name = "Notifications", Exact = true }).ClickAsync();
            await Expect(page.GetByText("No notifications yet.")).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the empty notification list");
            await page.Keyboard.PressAsync("Escape");
            await Expect(page.GetByText("No notifications yet.")).ToBeHiddenAsync();

            // a dataset with broken lines: its errors name the line and how to fix it
            await NavigateAsync(page, "Datasets");
            await page.GetByLabel("File").SetInputFilesAsync(WriteBrokenDataset(Host.WorkDir, "broken-export.jsonl"));
            await Expect(page.GetByLabel("Name")).ToHaveValueAsync("broken-export");
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload and validate" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/datasets/[0-9a-f-]{36}$"));
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Error", new() { Timeout = 30_000 });
            await Expect(page.GetByText("This dataset cannot be used for training yet")).ToBeVisibleAsync();
            var errors = page.GetByTestId("errors-card");
            await Expect(errors.GetByRole(AriaRole.Heading, new() { Name = "Errors (3)" })).ToBeVisibleAsync();
            var issues = errors.GetByTestId("validation-issue");
            await Expect(issues).ToHaveCountAsync(3);
            await Expect(issues.Nth(0)).ToContainTextAsync("Line 2");
            await Expect(issues.Nth(0)).ToContainTextAsync("invalid_json");
            await Expect(issues.Nth(0)).ToContainTextAsync("How to fix:");
            await Expect(issues.Nth(1)).ToContainTextAsync("Line 3");
            await Expect(issues.Nth(2)).ToContainTextAsync("Line 4");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start training" })).ToBeDisabledAsync();
            await AssertAccessibleAsync(page, "a failed dataset");
            await ScreenshotAsync(page, "dataset-failed");

            await NavigateAsync(page, "Datasets");
            var row = page.GetByTestId("dataset-row");
            await Expect(row).ToHaveCountAsync(1);
            await Expect(row).ToContainTextAsync("broken-export");
            await Expect(row).ToContainTextAsync("3 errors");
            await Expect(row.Locator("[data-status]")).ToHaveTextAsync("Error");
            await AssertAccessibleAsync(page, "the dataset list with a failed dataset");
            await ScreenshotAsync(page, "datasets-with-failed");

            // deleting it, after a confirmation, empties the list again
            await row.GetByRole(AriaRole.Link).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete this dataset?" });
            await Expect(dialog).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete dataset" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/datasets$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No datasets yet" })).ToBeVisibleAsync();

            // a bigger file over a slow link: the upload shows how far it has got
            var cdp = await page.Context.NewCDPSessionAsync(page);
            await cdp.SendAsync("Network.enable");
            await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
            {
                ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = 400 * 1024,
            });
            await page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(WriteValidDataset(Host.WorkDir, "bigger.jsonl", 3000));
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload and validate" }).ClickAsync();
            var progress = page.GetByRole(AriaRole.Progressbar, new() { Name = "Upload progress" });
            await Expect(progress).ToHaveAttributeAsync("aria-valuenow", new Regex(@"^[1-9][0-9]?(\.[0-9])?$")); // strictly between 0 and 100
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel upload" })).ToBeVisibleAsync();
            await ScreenshotAsync(page, "uploading");
            await Expect(page).ToHaveURLAsync(new Regex("/datasets/[0-9a-f-]{36}$"), new() { Timeout = 60_000 });
            await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
            {
                ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = -1,
            });
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Ready", new() { Timeout = 30_000 });
            await Expect(page.GetByTestId("stat-training-pairs")).ToContainTextAsync("3,000");

            // an address that does not exist says so
            await page.GotoAsync("/datasets/00000000-0000-0000-0000-000000000000");
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Dataset not found");
            await AssertAccessibleAsync(page, "a missing dataset");
            await page.GotoAsync("/no/such/page");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This page does not exist" })).ToBeVisibleAsync();

            // the same pages on a phone: nothing wider than the screen
            await page.SetViewportSizeAsync(Phone.Width, Phone.Height);
            foreach (var (path, name) in new[] { ("/datasets", "datasets"), ("/training/jobs", "jobs"), ("/models", "models"), ("/costs", "costs") })
            {
                await page.GotoAsync(path);
                await Expect(page.Locator("h1")).ToBeVisibleAsync();
                await Expect(page.Locator(".skeleton")).ToHaveCountAsync(0);
                await AssertFitsWidthAsync(page, $"{path} on a phone");
                await AssertAccessibleAsync(page, $"{path} on a phone");
                await ScreenshotAsync(page, $"phone-{name}");
            }
        });
    }
}
