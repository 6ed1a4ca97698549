using System.Text;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Datasets.Tests;

/// <summary>
/// A small upload of many bad lines must not fill the disk: the errors file keeps the first
/// Datasets:MaxErrorsListed errors (10,000 by default), every error is still counted, and the report says
/// the list was cut (hardening issue, item 1: 2,000,000 lines "x" used to write a 919 MB errors file).
/// </summary>
public sealed class when_a_file_has_more_errors_than_the_list_keeps(PlatformHost platform) : IClassFixture<PlatformHost>
{
    private const int BadLines = 200_000;
    private const int Listed = 10_000;

    [Fact]
    public async Task the_errors_file_stays_bounded_while_every_error_is_counted_and_the_last_page_is_reachable()
    {
        var user = await platform.CreateUserAsync();
        var upload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("x\n", BadLines)));

        var dataset = await platform.UploadAndValidateAsync(user, upload);
        var id = dataset["id"]!.GetValue<Guid>();

        Assert.Equal("error", dataset["status"]!.GetValue<string>());
        Assert.Equal(BadLines, dataset["error_count"]!.GetValue<long>());
        Assert.Equal(BadLines, dataset["error_counts"]!["invalid_json"]!.GetValue<long>());
        Assert.Equal(Listed, dataset["errors_listed"]!.GetValue<long>());
        Assert.True(dataset["errors_list_truncated"]!.GetValue<bool>());

        // on disk: the list and its index, a few megabytes where every error would have been ~90 MB
        var folder = Path.Combine(platform.BlobRoot, "lora-datasets", user.Id.ToString(), id.ToString());
        var errorsFile = new FileInfo(Path.Combine(folder, "validation-errors.jsonl"));
        Assert.Equal(Listed, File.ReadLines(errorsFile.FullName).Count());
        Assert.InRange(errorsFile.Length, 1, 5L * 1024 * 1024);
        Assert.Equal(Listed * sizeof(long), new FileInfo(Path.Combine(folder, "validation-errors.idx")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(platform.BlobRoot, "lora-datasets", ".incoming")));

        // the last page, read by seeking, holds the 10,000th error; the one after it is refused
        var last = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}/errors?limit=100&page=100"))).Data();
        var lines = last["errors"]!.AsArray().Select(e => e!["line"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(9_901, 100).Select(i => (long)i).ToList(), lines);
        Assert.Equal(BadLines, last["total_errors"]!.GetValue<long>());
        Assert.Equal(Listed, last["errors_listed"]!.GetValue<long>());
        Assert.True(last["truncated"]!.GetValue<bool>());
        Assert.Equal(100, last["pagination"]!["total_pages"]!.GetValue<int>());

        var past = await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url($"/api/datasets/{id}/errors?limit=100&page=101");
            s.StatusCodeShouldBe(400);
        });
        Assert.Contains("page 101 is past the last page (100)", past.ReadAsText());
        Assert.DoesNotContain("page page", past.ReadAsText());
    }

    [Fact]
    public async Task a_middle_page_read_through_the_index_equals_the_same_lines_read_in_order()
    {
        var user = await platform.CreateUserAsync();
        var good = DatasetUploads.ChatLine("Hello", "Hi there");
        // errors of different lengths, so the offsets are not a multiple of one line's size
        var jsonl = string.Join('\n', Enumerable.Range(1, 300).Select(i => (i % 3) switch
        {
            0 => good,
            1 => "{\"messages\": [{\"role\": \"bot\", \"content\": \"" + new string('y', i) + "\"}]}",
            _ => "not json " + new string('z', i),
        })) + "\n";

        var dataset = await platform.UploadAndValidateAsync(user, jsonl);
        var id = dataset["id"]!.GetValue<Guid>();
        var all = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}/errors?limit=100&page=1"))).Data();
        var third = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}/errors?limit=7&page=3"))).Data();

        Assert.False(all["truncated"]!.GetValue<bool>());
        Assert.Equal(
            all["errors"]!.AsArray().Skip(14).Take(7).Select(e => e!.ToJsonString()).ToList(),
            third["errors"]!.AsArray().Select(e => e!.ToJsonString()).ToList());
    }
}
