using System.Text;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Datasets.Tests;

/// <summary>
/// The dataset page's histograms and its "download all errors" (dashboard issue, items 12 and 13): the report
/// counts examples in round-edged bins, and the whole errors file downloads, only for its owner.
/// </summary>
public sealed class when_a_user_downloads_errors_and_reads_histograms(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task the_whole_errors_file_downloads_line_for_line_and_only_for_its_owner()
    {
        var owner = await platform.CreateUserAsync();
        var good = DatasetUploads.ChatLine("Hello", "Hi there");
        var jsonl = string.Join('\n', Enumerable.Range(1, 120).Select(i => i % 4 == 0 ? good : "not json " + i)) + "\n";
        var dataset = await platform.UploadAndValidateAsync(owner, jsonl);
        var id = dataset["id"]!.GetValue<Guid>();

        var download = await platform.Host.Scenario(s =>
        {
            s.As(owner).Get.Url($"/api/datasets/{id}/errors/download");
            s.ContentTypeShouldBe("application/jsonl");
        });

        var lines = Encoding.UTF8.GetString(await download.ReadAsBytesAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(90, lines.Length);
        Assert.Equal(90, dataset["error_count"]!.GetValue<long>());
        Assert.Contains("\"line\":1,", lines[0]);
        Assert.Contains("attachment", download.Context.Response.Headers.ContentDisposition.ToString());
        Assert.Contains("data-errors.jsonl", download.Context.Response.Headers.ContentDisposition.ToString());

        var stranger = await platform.CreateUserAsync();
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/datasets/{id}/errors/download", $"/api/datasets/{Guid.NewGuid()}/errors/download");
    }

    [Fact]
    public async Task a_clean_dataset_has_no_errors_file_to_download()
    {
        var owner = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(owner, DatasetUploads.CleanJsonl(5));

        var missing = await platform.Host.Scenario(s =>
        {
            s.As(owner).Get.Url($"/api/datasets/{dataset["id"]}/errors/download");
            s.StatusCodeShouldBe(404);
        });
        Assert.Equal("No errors file", (await missing.Problem(404))["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_report_counts_every_valid_example_in_adjacent_bins_with_round_edges()
    {
        var owner = await platform.CreateUserAsync();
        // 30 examples of growing length: tokens per example spread over a few hundred
        var jsonl = string.Join('\n', Enumerable.Range(1, 30).Select(i => DatasetUploads.ChatLine("Question " + i, string.Join(' ', Enumerable.Repeat("word", i * 10))))) + "\n";
        var dataset = await platform.UploadAndValidateAsync(owner, jsonl);
        var report = dataset["validation_report"]!;

        var tokens = report["tokens_histogram"]!.AsArray().Select(b => (From: b!["from"]!.GetValue<int>(), To: b["to"]!.GetValue<int>(), Count: b["count"]!.GetValue<long>())).ToList();
        Assert.Equal(30, tokens.Sum(b => b.Count));
        Assert.InRange(tokens.Count, 2, 20);
        var width = tokens[0].To - tokens[0].From + 1;
        Assert.Contains(width.ToString()[0], "125");
        Assert.All(tokens, b => Assert.Equal(0, b.From % width));
        Assert.All(tokens.Zip(tokens.Skip(1)), pair => Assert.Equal(pair.First.To + 1, pair.Second.From));
        Assert.InRange(report["tokens_per_example"]!["min"]!.GetValue<int>(), tokens[0].From, tokens[0].To);
        Assert.InRange(report["tokens_per_example"]!["max"]!.GetValue<int>(), tokens[^1].From, tokens[^1].To);

        // every example has two messages: one bin of width 1 holding all of them
        var messages = report["messages_histogram"]!.AsArray();
        Assert.Equal("[{\"from\":2,\"to\":2,\"count\":30}]", messages.ToJsonString());
    }
}
