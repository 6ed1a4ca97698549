using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

/// <summary>
/// The job monitor while a job runs: progress by steps, elapsed and a time left that moves, each epoch's validation
/// loss on the chart before the job ends, a log of readable lines with levels; at the end the actual duration and cost
/// beside their estimates. A job without validation examples shows no validation loss at all.
/// </summary>
public sealed class when_a_user_watches_a_job(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    private const int Epochs = 8;
    private const int StepsPerEpoch = 15; // 60 training examples in batches of 4

    protected override string Prefix => "watch";

    [Fact]
    public async Task the_monitor_tells_time_left_progress_by_steps_validation_per_epoch_and_a_readable_log()
    {
        var key = await Host.CreateUserAsync("watcher-" + Guid.NewGuid().ToString("N")[..6]);
        using var api = Api(key);
        var page = await NewPageAsync();

        await StepsAsync(page, async () =>
        {
            await SignInAsync(page, key);
            var validated = await ReadyDatasetAsync(page, api, "with-validation.jsonl", train: 60, validation: 12);
            var jobId = await CreateJobAsync(api, validated);
            await page.GotoAsync($"/training/jobs/{jobId}");

            // running: a point of the first epoch's validation arrives while later epochs still train
            var chart = page.GetByTestId("loss-chart");
            await Expect(chart).ToHaveAttributeAsync("data-validation-points", new Regex("^[1-9][0-9]*$"), new() { Timeout = 60_000 });
            var seen = await ReadAsync(page);
            Assert.True(seen.Step < Epochs * StepsPerEpoch, $"the first validation loss showed only at step {seen.Step}, the end");
            Assert.DoesNotMatch("Completed|Failed", seen.Status);
            await Expect(page.GetByTestId("validation-points")).ToContainTextAsync(new Regex(@"epoch 1 \d\.\d+"));

            // progress by steps: step n of 120 is n / 120
            Assert.Equal(Percent(seen.Step), seen.Progress);
            await Expect(page.GetByTestId("clock-elapsed")).ToContainTextAsync(new Regex(@"\d+ s|\d+ min"));

            // time left at the live pace, counting down between the server's updates
            var left = page.GetByTestId("clock-left").Locator(".stat__value");
            await Expect(left).ToHaveTextAsync(new Regex(@"^\d+ s$|^\d+ min \d\d s$"), new() { Timeout = 30_000 });
            var first = await left.TextContentAsync();
            await Expect(left).Not.ToHaveTextAsync(first!);
            await ScreenshotAsync(page, "monitor-running");

            // the log: sentences with levels, not event names
            var log = page.GetByTestId("event-lines");
            await Expect(log).ToContainTextAsync(new Regex($@"Epoch \d/{Epochs} · step \d+/{Epochs * StepsPerEpoch} · loss \d\.\d\d · \$\d+\.\d\d so far"));
            await Expect(log).ToContainTextAsync(new Regex(@"step 15/120 · loss \d\.\d\d · validation loss \d\.\d\d"));
            await Expect(log).ToContainTextAsync("Fine-tuning job started on 1 x H100");

            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Completed", new() { Timeout = 90_000 });
            await Expect(chart).ToHaveAttributeAsync("data-validation-points", Epochs.ToString(CultureInfo.InvariantCulture));
            await Expect(page.GetByTestId("job-progress")).ToHaveTextAsync("100% of the steps");
            await Expect(log).ToContainTextAsync(new Regex(@"The job has successfully completed \(cost \$\d+\.\d\d\)"));
            await Expect(log.Locator("[data-level=info]").First).ToContainTextAsync("Info");
            // time, level and message stand in columns of their own (an unclosed rule in the stylesheet once ran them
            // together as "08:27:08 PMInfoNew fine-tuned model created")
            var line = log.GetByTestId("event-line").First;
            var (time, level, message) = (await line.Locator("time").BoundingBoxAsync(), await line.Locator(".event-log__level").BoundingBoxAsync(),
                await line.Locator(".event-log__message").BoundingBoxAsync());
            Assert.True(level!.X >= time!.X + time.Width + 4 && message!.X >= level.X + level.Width + 4,
                $"the log line's parts touch: time {time.X}+{time.Width}, level {level.X}+{level.Width}, message {message!.X}");
            await Expect(log).Not.ToContainTextAsync("training_");
            await Expect(page.GetByTestId("clock-actual")).ToContainTextAsync(new Regex(@"Took.*estimated \d+"));
            // the job's cost (its GPU time) against the estimate's GPU part; the storage line is the model's bill
            await Expect(page.GetByTestId("clock-cost")).ToContainTextAsync(new Regex(@"\$\d+\.\d\d.*estimated \$\d+\.\d\d.*with the model's storage"));
            // both charts share the step axis, titled with its unit
            await Expect(page.GetByTestId("loss-chart")).ToContainTextAsync($"Training step (of {Epochs * StepsPerEpoch})");
            await Expect(page.GetByTestId("lr-chart")).ToContainTextAsync($"Training step (of {Epochs * StepsPerEpoch})");
            await Expect(page.GetByTestId("loss-chart")).ToContainTextAsync("Loss (cross-entropy, nats)");
            await AssertAccessibleAsync(page, "the monitor of a completed job with validation");
            await ScreenshotAsync(page, "monitor-completed");

            // no validation examples: no validation loss, ever
            var plain = await ReadyDatasetAsync(page, api, "no-validation.jsonl", train: 60, validation: 0);
            var plainJob = await CreateJobAsync(api, plain, epochs: 2);
            await page.GotoAsync($"/training/jobs/{plainJob}");
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Completed", new() { Timeout = 90_000 });
            await Expect(chart).ToHaveAttributeAsync("data-points", new Regex("^[1-9][0-9]*$"));
            await Expect(chart).ToHaveAttributeAsync("data-validation-points", "0");
            await Expect(page.GetByTestId("stat-validation-loss")).ToContainTextAsync("none: no validation examples");
            await Expect(log).Not.ToContainTextAsync("validation loss");
            await ScreenshotAsync(page, "monitor-no-validation");
        });
    }

    private sealed record Seen(int Step, string Progress, string Status);

    /// <summary>The step, the progress and the status as one render shows them.</summary>
    private static async Task<Seen> ReadAsync(Microsoft.Playwright.IPage page)
    {
        var texts = await page.EvaluateAsync<string[]>(
            "() => ['job-step', 'job-progress'].map(id => document.querySelector(`[data-testid=${id}]`).textContent).concat(document.querySelector('h1 [data-status]').textContent)");
        var step = int.Parse(Regex.Match(texts[0], @"Step (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        return new Seen(step, texts[1], texts[2]);
    }

    private static string Percent(int step)
    {
        var value = Math.Truncate(1000m * step / (Epochs * StepsPerEpoch)) / 10m;
        return value.ToString("0.#", CultureInfo.InvariantCulture) + "% of the steps"; // as the page writes it: 25%, 20.8%
    }

    private HttpClient Api(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(Host.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Uploads a chat dataset with <paramref name="validation"/> lines marked <c>"split": "validation"</c>, and waits on its page until it is ready.</summary>
    private async Task<string> ReadyDatasetAsync(Microsoft.Playwright.IPage page, HttpClient api, string fileName, int train, int validation)
    {
        var lines = Enumerable.Range(1, train + validation).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = new object[]
            {
                new { role = "user", content = $"Question {i}: how do I reset my password?" },
                new { role = "assistant", content = $"Answer {i}: open Settings, then Security, then Reset password." },
            },
            ["split"] = i > train ? "validation" : "train",
        }));
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", fileName);
        form.Add(new StringContent(fileName), "name");
        using var response = await api.PostAsync("/api/datasets", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["id"]!.GetValue<string>();
        await page.GotoAsync($"/datasets/{id}");
        await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Ready", new() { Timeout = 30_000 });
        return id;
    }

    private static async Task<string> CreateJobAsync(HttpClient api, string datasetId, int epochs = Epochs)
    {
        using var response = await api.PostAsJsonAsync("/api/jobs", new
        {
            dataset_id = datasetId,
            preset_id = "fast",
            gpu_config = new { type = "H100", count = 1 },
            hyperparameters = new { epochs, batch_size = 4 },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["id"]!.GetValue<string>();
    }
}
