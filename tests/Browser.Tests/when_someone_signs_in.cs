using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LoraPipeline.Browser.Tests;

public sealed class when_someone_signs_in(DashboardHost host, ITestOutputHelper output) : BrowserTest(host, output)
{
    protected override string Prefix => "sign-in";

    [Fact]
    public async Task a_wrong_key_is_refused_with_a_clear_message_and_the_demo_key_is_offered()
    {
        var page = await NewPageAsync();
        await StepsAsync(page, async () =>
        {
            // a page of the app without a key leads to sign-in, and back there afterwards
            await page.GotoAsync("/training/jobs");
            await Expect(page).ToHaveURLAsync(new Regex("/sign-in\\?next=%2Ftraining%2Fjobs$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to LoraPipeline" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use demo key" })).ToBeVisibleAsync();
            await AssertAccessibleAsync(page, "the sign-in page");
            await ScreenshotAsync(page, "sign-in");

            await page.GetByLabel("API key").FillAsync("lp_00000000000000000000000000000000_not-a-real-secret");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            var alert = page.GetByRole(AriaRole.Alert);
            await Expect(alert).ToContainTextAsync("That API key was not accepted");
            await Expect(alert).ToContainTextAsync("Authorization: Bearer");
            await Expect(page).ToHaveURLAsync(new Regex("/sign-in"));
            await AssertAccessibleAsync(page, "the sign-in page with a refused key");
            await ScreenshotAsync(page, "wrong-key");

            // the demo key signs in with one click, and the page asked for first follows
            await page.GetByRole(AriaRole.Button, new() { Name = "Use demo key" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/training/jobs$"));
            await Expect(alert).ToHaveCountAsync(0);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Training jobs", Level = 1 })).ToBeVisibleAsync();

            // signing out forgets the key
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
            await Expect(page.GetByText("You signed out")).ToBeVisibleAsync();
            await page.GotoAsync("/models");
            await Expect(page).ToHaveURLAsync(new Regex("/sign-in\\?next="));
        });
    }

    [Fact]
    public async Task the_sign_in_button_stays_where_it_is_when_the_demo_key_offer_arrives()
    {
        var page = await NewPageAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/dev/demo-key", async route =>
        {
            await release.Task; // the offer arrives when the test says, after the user has seen the form
            await route.ContinueAsync();
        });
        await StepsAsync(page, async () =>
        {
            await page.GotoAsync("/sign-in");
            var signIn = page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });
            await Expect(signIn).ToBeVisibleAsync();
            var before = await signIn.BoundingBoxAsync();

            release.SetResult();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use demo key" })).ToBeVisibleAsync();
            var after = await signIn.BoundingBoxAsync();
            // a pointer on its way to the button must find it there (centred, the card moved it 40 px up)
            Assert.Equal(before!.Y, after!.Y, 0.5);
        });
    }

    [Fact]
    public async Task a_key_the_api_refuses_later_sends_the_user_back_to_sign_in()
    {
        var page = await NewPageAsync();
        await StepsAsync(page, async () =>
        {
            // the key is planted from a page of the same origin that runs no dashboard script: planted under the
            // sign-in page, it raced that page's own requests, which could spend the 401 before /models loaded
            await page.GotoAsync("/health/live");
            // a key that was accepted once and then revoked: the first 401 ends the session
            await page.EvaluateAsync("() => { sessionStorage.setItem('lorapipeline.api-key', 'lp_revoked_key'); sessionStorage.setItem('lorapipeline.user-name', 'someone'); }");
            await page.GotoAsync("/models");
            await Expect(page).ToHaveURLAsync(new Regex("/sign-in\\?next=%2Fmodels$"));
            await Expect(page.GetByText("Your session ended")).ToBeVisibleAsync();
            Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('lorapipeline.api-key')"));
        });
    }
}
