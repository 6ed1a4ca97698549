using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

/// <summary>
/// The configure page's estimate explains itself (issue 22): its itemised lines add up to the total shown, a dataset
/// without validation examples is warned about and offered a split (which adds the validation line), the trained
/// tokens and the throughput rule are shown, more GPUs that save little time are warned about, and the budget's
/// answer sits beside Start.
/// </summary>
public sealed class when_a_user_reads_the_estimate(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    protected override string Prefix => "estimate";

    [Fact]
    public async Task the_lines_add_up_to_the_total_and_a_dataset_without_validation_examples_is_warned_about()
    {
        var key = await Host.CreateUserAsync("sam-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await NewPageAsync();
        await StepsAsync(page, async () =>
        {
            await SignInAsync(page, key);
            await page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(WriteValidDataset(Host.WorkDir, "no-validation.jsonl", 30));
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload and validate" }).ClickAsync();
            await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Ready", new() { Timeout = 30_000 });
            await page.GetByRole(AriaRole.Link, new() { Name = "Start training" }).ClickAsync();
            await page.GetByTestId("preset-balanced").ClickAsync();
            await WaitForEstimateAsync(page);

            // no validation examples: a warning, and no validation line in the estimate
            await Expect(page.GetByTestId("no-validation-warning")).ToContainTextAsync("no validation loss will exist");
            await Expect(page.GetByTestId("estimate-line-validation")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("estimate-line-startup")).ToContainTextAsync("10 min");
            await AssertLinesAddUpAsync(page);
            await Expect(page.GetByTestId("estimate-tokens")).ToContainTextAsync(new Regex(@"^[\d,]+ of [\d,]+"));
            await Expect(page.GetByTestId("estimate-throughput-rule")).ToContainTextAsync("× 7B / 7B parameters");
            await Expect(page.GetByTestId("estimate-budget")).ToContainTextAsync("Within budget");
            await AssertAccessibleAsync(page, "the itemised estimate");
            await ScreenshotAsync(page, "no-validation");

            // the automatic split: the warning goes, 3 of the 30 examples validate after each of the 3 epochs
            await page.GetByTestId("validation-split-toggle").CheckAsync();
            await Expect(page.GetByTestId("no-validation-warning")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("slider-validation-split")).ToContainTextAsync("3 of 30 training examples");
            await Expect(page.GetByTestId("estimate-line-validation")).ToContainTextAsync("15 min");
            await WaitForEstimateAsync(page);
            await AssertLinesAddUpAsync(page);

            // a smaller base model: faster by 7 / 1.1, and the rule says so
            await page.GetByLabel("Base model").SelectOptionAsync("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
            await Expect(page.GetByTestId("base-model-rule")).ToContainTextAsync("1.1B parameters");
            await Expect(page.GetByTestId("estimate-throughput-rule")).ToContainTextAsync("× 7B / 1.1B parameters");

            // four GPUs on a small dataset cost more and save almost nothing: the page says so
            var gpus = page.GetByRole(AriaRole.Slider, new() { Name = "Number of GPUs" });
            await gpus.FocusAsync();
            for (var i = 0; i < 3; i++)
            {
                await page.Keyboard.PressAsync("ArrowRight");
            }

            await Expect(page.GetByTestId("estimate-hourly-rate")).ToHaveTextAsync("$14.00/h");
            await Expect(page.GetByTestId("estimate-warning").Filter(new() { HasText = "4 GPUs cost" })).ToContainTextAsync("whatever the number of GPUs");
            await WaitForEstimateAsync(page);
            await AssertLinesAddUpAsync(page);
            await ScreenshotAsync(page, "split-and-gpus");
        });
    }

    [Fact]
    public async Task another_dataset_chosen_as_the_validation_set_adds_validation_and_starts_with_the_job()
    {
        var key = await Host.CreateUserAsync("val-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await NewPageAsync();
        await StepsAsync(page, async () =>
        {
            await SignInAsync(page, key);
            foreach (var (file, examples) in new[] { ("held-out.jsonl", 8), ("training.jsonl", 30) })
            {
                await page.GotoAsync("/datasets");
                await page.GetByLabel("File", new() { Exact = true }).SetInputFilesAsync(WriteValidDataset(Host.WorkDir, file, examples));
                await page.GetByRole(AriaRole.Button, new() { Name = "Upload and validate" }).ClickAsync();
                await Expect(page.Locator("h1 [data-status]")).ToHaveTextAsync("Ready", new() { Timeout = 30_000 });
            }

            await page.GetByRole(AriaRole.Link, new() { Name = "Start training" }).ClickAsync();
            await page.GetByTestId("preset-balanced").ClickAsync();
            await WaitForEstimateAsync(page);
            await Expect(page.GetByTestId("no-validation-warning")).ToBeVisibleAsync();

            // the held-out dataset as the validation set: the warning goes, its 8 examples validate after each of the 3 epochs
            await page.GetByLabel("Validation dataset (optional)").SelectOptionAsync(new SelectOptionValue { Label = "held-out (8 examples)" });
            await Expect(page.GetByTestId("no-validation-warning")).ToHaveCountAsync(0);
            await Expect(page.GetByText("All 8 examples of “held-out”")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("estimate-line-validation")).ToContainTextAsync("15 min");
            await WaitForEstimateAsync(page);
            await AssertLinesAddUpAsync(page);
            await AssertAccessibleAsync(page, "a validation dataset");
            await ScreenshotAsync(page, "validation-dataset");

            await page.GetByRole(AriaRole.Button, new() { Name = "Start training" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/training/jobs/[0-9a-f-]{36}$"));
        });
    }

    private static async Task WaitForEstimateAsync(IPage page) =>
        await Expect(page.GetByTestId("estimate")).ToHaveAttributeAsync("aria-busy", "false");

    /// <summary>The dollar amounts the page shows for the lines add up to the total it shows.</summary>
    private static async Task AssertLinesAddUpAsync(IPage page)
    {
        var total = Dollars(await page.GetByTestId("estimate-total").TextContentAsync());
        var lines = (await page.GetByTestId("estimate-line-cost").AllTextContentsAsync()).Select(Dollars).ToList();
        Assert.True(lines.Count >= 4, $"expected training, start-up, saving and storage lines, got {lines.Count}");
        Assert.Equal(total, lines.Sum());
    }

    private static decimal Dollars(string? text) =>
        decimal.Parse((text ?? "").Trim().TrimStart('$').Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture);
}
