using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

/// <summary>
/// The whole way through the dashboard, as the demo user: upload, statistics, configure with a live
/// estimate, start, watch the job live to the end, the model and its checked download, the costs,
/// the notifications, a second job cancelled, the budget's hard limit, and every page on a phone.
/// Each page is checked with axe-core and photographed.
/// </summary>
public sealed class when_a_user_trains_a_model_in_the_browser(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    private const int Examples = 60;
    private static readonly Regex Money = new(@"^\$\d{1,3}(,\d{3})*\.\d{2}$");
    private static readonly Regex Guid36 = new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    protected override string Prefix => "journey";

    [Fact]
    public async Task from_a_jsonl_file_to_a_downloaded_adapter_with_its_cost_and_notifications()
    {
        var page = await NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Method + " " + new Uri(request.Url).PathAndQuery);
        var createKeys = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST" && new Uri(request.Url).AbsolutePath == "/api/jobs")
            {
                createKeys.Add(request.Headers.TryGetValue("idempotency-key", out var key) ? key : "(none)");
            }
        };
        var visited = new List<(string Path, string Name)>();

        await StepsAsync(page, async () =>
        {
            // ---- sign in with the demo key the development server offers
            await SignInWithDemoKeyAsync(page);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No datasets yet" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the dataset list");
            await ScreenshotAsync(page, "datasets-empty");

            // ---- upload a small valid dataset and see its statistics
            var file = WriteValidDataset(Host.WorkDir, "support-chats.jsonl", Examples);
            await page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(file);
            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Support chats");
            await page.GetByLabel("Description (optional)").FillAsync("Password reset conversations");
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload and validate" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/datasets/[0-9a-f-]{36}$"));
            var datasetId = Guid36.Match(page.Url).Value;
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Ready", new() { Timeout = 30_000 });
            await Expect(page.GetByTestId("stat-training-pairs")).ToContainTextAsync(Examples.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Expect(page.GetByTestId("stat-total-tokens")).ToContainTextAsync(new Regex(@"\d{1,3},\d{3}"));
            foreach (var chart in new[] { "chart-messages", "chart-tokens", "chart-assistant-tokens" })
            {
                // a histogram: every example counted in one of its bins, and bars drawn for the bins that have some
                await Expect(page.GetByTestId(chart)).ToHaveAttributeAsync("data-examples", Examples.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await Expect(page.GetByTestId(chart).Locator(".recharts-bar-rectangle").First).ToBeVisibleAsync();
            }

            await AssertAccessibleAsync(page, "a ready dataset");
            await ScreenshotAsync(page, "dataset-ready");
            visited.Add(($"/datasets/{datasetId}", "dataset"));

            // ---- configure: a preset, a slider, and the estimate follows
            await page.GetByRole(AriaRole.Link, new() { Name = "Start training" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"/training/configure\\?datasetId={datasetId}$"));
            await page.GetByTestId("preset-fast").ClickAsync();
            await Expect(page.GetByTestId("preset-fast").Locator("input")).ToBeCheckedAsync();
            var steps = page.GetByTestId("estimate-steps");
            await Expect(steps).ToHaveTextAsync("8"); // 60 examples in batches of 8, one epoch
            await Expect(page.GetByTestId("estimate-hourly-rate")).ToHaveTextAsync("$3.50/h");
            await Expect(page.GetByTestId("estimate-total")).ToHaveTextAsync(Money);
            var firstTotal = await page.GetByTestId("estimate-total").TextContentAsync();

            await page.GetByRole(AriaRole.Slider, new() { Name = "Epochs" }).FocusAsync();
            await page.Keyboard.PressAsync("ArrowRight");
            await Expect(page.GetByTestId("slider-epochs").Locator("output")).ToHaveTextAsync("2");
            await Expect(steps).ToHaveTextAsync("16");
            await page.GetByRole(AriaRole.Slider, new() { Name = "Number of GPUs" }).FocusAsync();
            await page.Keyboard.PressAsync("ArrowRight");
            await Expect(page.GetByTestId("estimate-hourly-rate")).ToHaveTextAsync("$7.00/h");
            await Expect(page.GetByTestId("estimate-total")).Not.ToHaveTextAsync(firstTotal!);
            await Expect(page.GetByTestId("estimate")).ToHaveAttributeAsync("aria-busy", "false");
            await AssertAccessibleAsync(page, "the configure page");
            await ScreenshotAsync(page, "configure");
            visited.Add((new Uri(page.Url).PathAndQuery, "configure"));

            // ---- start (a double click still makes one job) and watch it live to the end
            await page.GetByRole(AriaRole.Button, new() { Name = "Start training" }).DblClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/training/jobs/[0-9a-f-]{36}$"));
            var jobId = Guid36.Match(page.Url).Value;
            var badge = page.Locator("h1 [data-status]");
            await Expect(page.GetByTestId("loss-chart")).ToHaveAttributeAsync("data-points", new Regex("^[1-9][0-9]*$"), new() { Timeout = 60_000 });
            await Expect(badge).ToHaveTextAsync("Completed", new() { Timeout = 90_000 });
            await Expect(page.GetByTestId("job-step")).ToHaveTextAsync("Step 16 / 16");
            await Expect(page.GetByTestId("job-epoch")).ToHaveTextAsync("Epoch 2 / 2");
            await Expect(page.GetByTestId("live-mode")).ToHaveTextAsync("Final");
            await Expect(page.GetByTestId("loss-chart").Locator(".recharts-line-curve").First).ToBeVisibleAsync();
            await Expect(page.GetByTestId("lr-chart").Locator(".recharts-line-curve")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("stat-cost")).ToContainTextAsync("Final cost");
            await Expect(page.GetByTestId("job-cost")).ToHaveTextAsync(Money);
            var modelLink = page.GetByTestId("model-link");
            await Expect(modelLink).ToBeVisibleAsync(new() { Timeout = 60_000 });

            // the updates came through the job's event stream, which ended with the job
            Assert.Contains($"GET /api/jobs/{jobId}/stream", requests);
            // a double click makes one job: the page sends one create, or (when the first answered before the second
            // click was handled, as on a loaded machine) the same create again under the same Idempotency-Key
            Assert.Single(createKeys.Distinct());
            Assert.DoesNotContain("(none)", createKeys);
            await AssertAccessibleAsync(page, "the monitor of a completed job");
            await ScreenshotAsync(page, "monitor-completed");

            await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
            var timeline = page.GetByTestId("timeline");
            await Expect(timeline).ToContainTextAsync("Queued");
            await Expect(timeline).ToContainTextAsync("Training started");
            await Expect(timeline).ToContainTextAsync("Training completed");
            await Expect(timeline).ToContainTextAsync("Model stored");
            await AssertAccessibleAsync(page, "the job history");
            await ScreenshotAsync(page, "monitor-history");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Configuration" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync("A100-80GB");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Job info" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Tabpanel)).ToContainTextAsync(jobId);
            visited.Add(($"/training/jobs/{jobId}", "monitor"));

            // ---- the model, and a download whose checksum is the one shown
            await modelLink.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/models/[0-9a-f-]{36}$"));
            var modelId = Guid36.Match(page.Url).Value;
            await Expect(page.GetByTestId("quality-card").GetByRole(AriaRole.Img)).ToHaveAttributeAsync("aria-label", new Regex("^Quality [1-5] of 5 stars$"));
            var adapter = page.Locator("[data-testid=model-file][data-file-name='adapter_model.safetensors']");
            var shownSha = (await adapter.GetByTestId("file-sha256").TextContentAsync())!.Trim();
            Assert.Matches("^[0-9a-f]{64}$", shownSha);
            var download = await page.RunAndWaitForDownloadAsync(() => adapter.GetByRole(AriaRole.Button).ClickAsync());
            Assert.Equal("adapter_model.safetensors", download.SuggestedFilename);
            var saved = Path.Combine(Host.WorkDir, "downloads", download.SuggestedFilename);
            await download.SaveAsAsync(saved);
            Assert.Equal(shownSha, Sha256OfFile(saved));

            var link = page.GetByTestId("download-link");
            await Expect(link).ToHaveCountAsync(1);
            var href = await link.GetAttributeAsync("href");
            var response = await page.APIRequest.GetAsync(href!);
            Assert.Equal(200, response.Status);
            Assert.Equal(shownSha, Sha256Of(await response.BodyAsync()));

            // ---- the whole adapter as one .zip: every entry's SHA-256 is the one its file shows
            var archive = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download all (.zip)" }).ClickAsync());
            Assert.EndsWith(".zip", archive.SuggestedFilename);
            var zipPath = Path.Combine(Host.WorkDir, "downloads", archive.SuggestedFilename);
            await archive.SaveAsAsync(zipPath);
            var shownFiles = await page.GetByTestId("model-file").EvaluateAllAsync<string[][]>(
                "els => els.map(e => [e.dataset.fileName, e.querySelector('[data-testid=file-sha256]').textContent.trim()])");
            using (var zip = System.IO.Compression.ZipFile.OpenRead(zipPath))
            {
                Assert.Contains(zip.Entries, e => e.FullName == "adapter_model.safetensors");
                foreach (var entry in zip.Entries)
                {
                    using var content = entry.Open();
                    Assert.Equal(shownFiles.Single(f => f[0] == entry.FullName)[1], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)));
                }
            }

            await AssertAccessibleAsync(page, "the model page");
            await ScreenshotAsync(page, "model");

            await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Support adapter v1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Expect(page.Locator("h1")).ToContainTextAsync("Support adapter v1");
            visited.Add(($"/models/{modelId}", "model"));

            await NavigateAsync(page, "Models");
            var card = page.GetByTestId("model-card");
            await Expect(card).ToHaveCountAsync(1);
            await Expect(card).ToContainTextAsync("Support adapter v1");
            await AssertAccessibleAsync(page, "the model list");
            await ScreenshotAsync(page, "models");
            visited.Add(("/models", "models"));

            // ---- a flagged model's files still download, a flagged one when the user says so ("Download anyway"): the page
            // is shown the model as the API answers a flagged one (this simulator only makes sound adapters)
            await page.RouteAsync($"**/api/models/{modelId}", async route =>
            {
                var answer = await route.FetchAsync();
                var body = System.Text.Json.Nodes.JsonNode.Parse(await answer.TextAsync())!;
                body["data"]!["status"] = "flagged";
                var file = body["data"]!["artifacts"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "adapter_model.safetensors")!;
                file["flagged_reason"] = "tensors of rank 4 where the config says r=8";
                file["flagged"] = true;
                await route.FulfillAsync(new() { Response = answer, Body = body.ToJsonString() });
            });
            await page.GotoAsync($"/models/{modelId}");
            var flaggedFile = page.Locator("[data-testid=model-file][data-file-name='adapter_model.safetensors']");
            var anyway = flaggedFile.GetByRole(AriaRole.Button, new() { Name = "Download adapter_model.safetensors (flagged)" });
            await Expect(anyway).ToBeEnabledAsync();
            await Expect(anyway).ToHaveTextAsync("Download anyway");
            var asked = await page.RunAndWaitForRequestAsync(async () =>
            {
                var flaggedDownload = await page.RunAndWaitForDownloadAsync(() => anyway.ClickAsync());
                Assert.Equal("adapter_model.safetensors", flaggedDownload.SuggestedFilename);
            }, r => r.Method == "POST" && r.Url.EndsWith($"/api/models/{modelId}/download", StringComparison.Ordinal));
            Assert.Contains("\"include_flagged\":true", asked.PostData);
            await page.UnrouteAsync($"**/api/models/{modelId}");

            // ---- the cost of it
            await NavigateAsync(page, "Costs");
            await Expect(page.GetByTestId("cost-record").Filter(new() { HasText = "Training Compute" })).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Expect(page.GetByTestId("cost-total")).ToHaveTextAsync(Money);
            await Expect(page.GetByTestId("cost-training_compute")).ToHaveTextAsync(Money);
            await Expect(page.GetByTestId("budget-used")).ToHaveTextAsync(Money);
            await AssertAccessibleAsync(page, "the costs page");
            await ScreenshotAsync(page, "costs");
            var monthTotal = (await page.GetByTestId("cost-total").TextContentAsync())!;
            await page.GetByRole(AriaRole.Button, new() { Name = "Week" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("period=week"));
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Week" })).ToHaveAttributeAsync("aria-pressed", "true");
            await Expect(page.GetByTestId("cost-total")).ToHaveTextAsync(monthTotal);
            await page.GetByRole(AriaRole.Button, new() { Name = "Custom" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex(@"period=custom&start=\d{4}-\d{2}-\d{2}&end=\d{4}-\d{2}-\d{2}$"));
            await Expect(page.GetByTestId("cost-total")).ToHaveTextAsync(monthTotal);
            await Expect(page.GetByTestId("cost-chart")).ToBeVisibleAsync();
            visited.Add(("/costs", "costs"));

            // ---- notifications: a count on the bell, entries that lead to their page
            var bell = page.GetByTestId("notification-bell");
            await Expect(page.GetByTestId("notification-count")).ToHaveTextAsync(new Regex("^[1-9][0-9]*$"), new() { Timeout = 20_000 });
            await Expect(bell).ToHaveAttributeAsync("aria-label", new Regex(@"^Notifications, \d+ unread$"));
            await bell.ClickAsync();
            var completed = page.GetByTestId("notification").Filter(new() { HasText = "Training Complete" });
            await Expect(completed).ToHaveCountAsync(1, new() { Timeout = 20_000 });
            await AssertAccessibleAsync(page, "the open notification list");
            await ScreenshotAsync(page, "notifications");
            await Expect(completed).ToHaveClassAsync(new Regex("notification--unread"));
            await completed.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"/training/jobs/{jobId}$"));
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Completed");
            await Expect(page.GetByText("Training Complete", new() { Exact = true })).ToBeHiddenAsync(); // the list closed

            // following it marked it read
            await bell.ClickAsync();
            await Expect(completed).Not.ToHaveClassAsync(new Regex("notification--unread"));
            await Expect(completed.GetByRole(AriaRole.Button, new() { Name = "Mark read: Training Complete" })).ToHaveCountAsync(0);
            await page.Keyboard.PressAsync("Escape");
            await Expect(bell).ToBeFocusedAsync();

            // ---- a second job, cancelled from its monitor
            await page.GotoAsync($"/datasets/{datasetId}");
            await page.GetByRole(AriaRole.Link, new() { Name = "Start training" }).ClickAsync();
            await page.GetByTestId("preset-aggressive").ClickAsync();
            await page.GetByRole(AriaRole.Slider, new() { Name = "Epochs" }).FocusAsync();
            await page.Keyboard.PressAsync("End");
            await Expect(page.GetByTestId("slider-epochs").Locator("output")).ToHaveTextAsync("20");
            await page.GetByTestId("gpu-V100-32GB").ClickAsync();
            await Expect(page.GetByTestId("estimate-hourly-rate")).ToHaveTextAsync("$2.10/h");
            await page.GetByRole(AriaRole.Button, new() { Name = "Start training" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/training/jobs/[0-9a-f-]{36}$"));
            var secondJobId = Guid36.Match(page.Url).Value;
            Assert.NotEqual(jobId, secondJobId);
            await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Cancel this training job?" });
            await Expect(dialog).ToBeVisibleAsync();
            await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Keep training" })).ToBeFocusedAsync();
            await AssertAccessibleAsync(page, "the cancel dialog");
            await ScreenshotAsync(page, "cancel-dialog");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Yes, cancel the job" }).ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Cancelled", new() { Timeout = 30_000 });
            await Expect(page.GetByText("This job was cancelled")).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("live-mode")).ToHaveTextAsync("Final", new() { Timeout = 30_000 });
            await AssertAccessibleAsync(page, "the monitor of a cancelled job");
            await ScreenshotAsync(page, "monitor-cancelled");

            // ---- the job list, all and filtered
            await NavigateAsync(page, "Jobs");
            var rows = page.GetByTestId("job-row");
            await Expect(rows).ToHaveCountAsync(2);
            await page.GetByLabel("Status").SelectOptionAsync("cancelled");
            await Expect(rows).ToHaveCountAsync(1);
            await Expect(rows.Locator("[data-status]")).ToHaveTextAsync("Cancelled");
            await page.GetByLabel("Status").SelectOptionAsync("");
            await Expect(rows).ToHaveCountAsync(2);
            await AssertAccessibleAsync(page, "the job list");
            await ScreenshotAsync(page, "jobs");
            visited.Add(("/training/jobs", "jobs"));
            visited.Add(("/datasets", "datasets"));

            // ---- a hard monthly limit: the next job is refused with the reason
            await NavigateAsync(page, "Costs");
            await page.GetByLabel("Monthly limit (USD)").FillAsync("0.01");
            await page.GetByLabel("Hard limit: refuse new jobs that would go over it").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Save budget" }).ClickAsync();
            await Expect(page.GetByText("Budget saved.")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("budget-status")).ToHaveTextAsync("Over the limit");
            await Expect(page.GetByTestId("budget-gauge")).ToHaveAttributeAsync("data-status", "exceeded");
            await AssertAccessibleAsync(page, "an exceeded budget");
            await ScreenshotAsync(page, "budget-exceeded");
            await page.GotoAsync($"/training/configure?datasetId={datasetId}");
            await Expect(page.GetByTestId("estimate-total")).ToHaveTextAsync(Money);
            await page.GetByRole(AriaRole.Button, new() { Name = "Start training" }).ClickAsync();
            var refusal = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "The job was not started" });
            await Expect(refusal).ToContainTextAsync("Budget limit reached");
            await Expect(refusal.GetByRole(AriaRole.Link, new() { Name = "See budget" })).ToBeVisibleAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/training/configure"));
            await ScreenshotAsync(page, "budget-refusal");

            // ---- every page again on a phone: readable, nothing wider than the screen
            await page.SetViewportSizeAsync(Phone.Width, Phone.Height);
            foreach (var (path, name) in visited)
            {
                await page.GotoAsync(path);
                await Expect(page.Locator("h1")).ToBeVisibleAsync();
                await Expect(page.Locator(".skeleton")).ToHaveCountAsync(0);
                await AssertFitsWidthAsync(page, $"{path} on a phone");
                await AssertAccessibleAsync(page, $"{path} on a phone");
                await ScreenshotAsync(page, $"phone-{name}");
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Menu" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Costs" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the phone menu");
            await ScreenshotAsync(page, "phone-menu");
        });
    }
}
