using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

/// <summary>
/// What every browser test needs: a fresh browser context (own storage, en-US, UTC), signing in,
/// screenshots kept under bin/.../screenshots with their paths in the test output, an axe-core
/// check for serious and critical violations, and a screenshot of the page when a step fails.
/// </summary>
[Collection(DashboardCollection.Name)]
public abstract class BrowserTest : IAsyncLifetime
{
    public static readonly ViewportSize Laptop = new() { Width = 1366, Height = 900 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private readonly List<IBrowserContext> _contexts = [];
    private int _shot;

    protected BrowserTest(DashboardHost host, ITestOutputHelper output)
    {
        Host = host;
        Output = output;
        SetDefaultExpectTimeout(10_000);
    }

    protected DashboardHost Host { get; }

    protected ITestOutputHelper Output { get; }

    /// <summary>Short name of the test class, the prefix of its screenshots.</summary>
    protected abstract string Prefix { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    protected async Task<IPage> NewPageAsync(ViewportSize? viewport = null)
    {
        var context = await Host.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseUrl,
            ViewportSize = viewport ?? Laptop,
            Locale = "en-US",
            TimezoneId = "UTC",
            AcceptDownloads = true,
            ReducedMotion = ReducedMotion.Reduce,
        });
        context.SetDefaultTimeout(15_000);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => Output.WriteLine($"page error: {error}");
        return page;
    }

    /// <summary>Runs the steps; when one fails, the page is photographed first and the Host's last words are added.</summary>
    protected async Task StepsAsync(IPage page, Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch (Exception)
        {
            try
            {
                var path = Path.Combine(Host.ScreenshotDir, $"{Prefix}-FAILED.png");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
                Output.WriteLine($"failure screenshot: {path} (at {page.Url})");
            }
            catch (PlaywrightException)
            {
                // the page may be gone
            }

            Output.WriteLine("--- Host output (last lines) ---");
            Output.WriteLine(Host.LogTail(80));
            throw;
        }
    }

    protected async Task SignInWithDemoKeyAsync(IPage page)
    {
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Use demo key" }).ClickAsync(); // signs in at once
        await Expect(page).ToHaveURLAsync(new Regex("/datasets$"));
    }

    protected static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/datasets$"));
    }

    /// <summary>Follows a link of the main navigation (on a phone, open the menu first).</summary>
    protected static Task NavigateAsync(IPage page, string link) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();

    /// <summary>A full-page screenshot, numbered in test order; its path goes to the test output.</summary>
    protected async Task<string> ScreenshotAsync(IPage page, string name)
    {
        _shot++;
        var path = Path.Combine(Host.ScreenshotDir, $"{Prefix}-{_shot:00}-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        Output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>axe-core (from the dashboard's node_modules) finds no serious or critical violation on the page as it is now.</summary>
    protected async Task AssertAccessibleAsync(IPage page, string what)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
        {
            // evaluated through the driver, not added as a <script> tag: the dashboard's Content-Security-Policy
            // (scripts from this origin only) rightly refuses an inline script
            await page.EvaluateAsync(await File.ReadAllTextAsync(Host.AxeScript));
        }

        var violations = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const result = await window.axe.run(document, { resultTypes: ['violations'] });
              return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\s+/g, ' ')) }));
            }
            """);
        var found = violations.EnumerateArray().ToList();
        var report = new StringBuilder();
        foreach (var v in found)
        {
            report.Append(CultureInfo.InvariantCulture, $"\n  [{v.GetProperty("impact").GetString()}] {v.GetProperty("id").GetString()}: {v.GetProperty("help").GetString()}");
            foreach (var node in v.GetProperty("nodes").EnumerateArray())
            {
                report.Append(CultureInfo.InvariantCulture, $"\n      {node.GetString()}");
            }
        }

        Output.WriteLine($"axe on {what}: {found.Count} serious or critical violation(s){report}");
        Assert.True(found.Count == 0, $"axe found serious or critical violations on {what}:{report}");
    }

    /// <summary>The page does not scroll sideways: everything fits the viewport's width.</summary>
    protected static async Task AssertFitsWidthAsync(IPage page, string what)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 1, $"{what} is {overflow}px wider than the viewport.");
    }

    protected static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    protected static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A small valid chat dataset: one JSON object per line, system, user and assistant messages.</summary>
    protected static string WriteValidDataset(string folder, string fileName, int examples)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, fileName);
        var lines = Enumerable.Range(1, examples).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[]
            {
                new { role = "system", content = "You are a concise support agent for a web application." },
                new { role = "user", content = $"Question {i}: how do I reset my password?{string.Concat(Enumerable.Repeat(" I tried twice already.", i % 4))}" },
                new { role = "assistant", content = $"Answer {i}: open Settings, then Security, then Reset password.{string.Concat(Enumerable.Repeat(" Then follow the link in the email we send you.", i % 3))}" },
            },
        }));
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>A dataset with three broken lines among good ones.</summary>
    protected static string WriteBrokenDataset(string folder, string fileName)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, fileName);
        File.WriteAllLines(path,
        [
            """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}""",
            "this line is not json",
            """{"messages":[{"role":"user","content":"Only a question"}]}""",
            """{"messages":[{"role":"wizard","content":"Abracadabra"},{"role":"assistant","content":"Poof"}]}""",
        ]);
        return path;
    }
}
