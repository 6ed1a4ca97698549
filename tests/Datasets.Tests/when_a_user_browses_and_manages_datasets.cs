using System.Text;
using Alba;
using LoraPipeline.TestKit;
using Wolverine.Tracking;

namespace LoraPipeline.Datasets.Tests;

public sealed class when_a_user_browses_and_manages_datasets(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task the_list_pages_newest_first_and_filters_by_status()
    {
        var user = await platform.CreateUserAsync();
        for (var i = 1; i <= 3; i++)
        {
            await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(3), name: $"ok {i}");
        }

        await platform.UploadAndValidateAsync(user, "garbage\n", name: "broken");

        var page1 = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/datasets?limit=2"))).Data();
        Assert.Equal(4, page1["pagination"]!["total"]!.GetValue<long>());
        Assert.Equal(2, page1["pagination"]!["total_pages"]!.GetValue<int>());
        Assert.Equal(new[] { "broken", "ok 3" }, page1["datasets"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()));

        var ready = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/datasets?status=ready"))).Data();
        Assert.Equal(3, ready["pagination"]!["total"]!.GetValue<long>());
        Assert.All(ready["datasets"]!.AsArray(), d => Assert.Equal("ready", d!["status"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("/api/datasets?limit=0")]
    [InlineData("/api/datasets?limit=101")]
    [InlineData("/api/datasets?page=0")]
    [InlineData("/api/datasets?limit=abc")]
    [InlineData("/api/datasets?status=sleeping")]
    public async Task bad_paging_or_filters_are_400_problems(string url)
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url(url);
            s.StatusCodeShouldBe(400);
        });
        await result.Problem(400);
    }

    [Fact]
    public async Task another_users_dataset_answers_404_exactly_like_a_missing_one_everywhere()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(owner, DatasetUploads.CleanJsonl(3));
        var id = dataset["id"]!.GetValue<Guid>();
        var missing = Guid.NewGuid();

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/datasets/{id}", $"/api/datasets/{missing}");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/datasets/{id}/errors", $"/api/datasets/{missing}/errors");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/datasets/{id}", $"/api/datasets/{missing}", HttpMethod.Delete);
        var list = await (await platform.Host.Scenario(s => s.As(stranger).Get.Url("/api/datasets"))).Data();
        Assert.Equal(0, list["pagination"]!["total"]!.GetValue<long>());

        // and the owner still has it, untouched
        var mine = await (await platform.Host.Scenario(s => s.As(owner).Get.Url($"/api/datasets/{id}"))).Data();
        Assert.Null(mine["deleted_at"]?.GetValue<DateTimeOffset?>());
    }

    [Fact]
    public async Task a_deleted_dataset_leaves_the_list_but_stays_readable()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(3));
        var id = dataset["id"]!.GetValue<Guid>();

        var deleted = await (await platform.Host.Scenario(s => s.As(user).Delete.Url($"/api/datasets/{id}"))).Data();
        Assert.NotNull(deleted["deleted_at"]);

        var list = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/datasets"))).Data();
        Assert.DoesNotContain(list["datasets"]!.AsArray(), d => d!["id"]!.GetValue<Guid>() == id);
        await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}"));
        Assert.True(File.Exists(Path.Combine(platform.BlobRoot, "lora-datasets", user.Id.ToString(), id.ToString(), "dataset.jsonl")));

        // deleting again changes nothing
        var again = await (await platform.Host.Scenario(s => s.As(user).Delete.Url($"/api/datasets/{id}"))).Data();
        Assert.Equal(deleted["deleted_at"]!.GetValue<DateTimeOffset>(), again["deleted_at"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task revalidating_with_the_other_format_turns_an_error_into_ready()
    {
        var user = await platform.CreateUserAsync();
        var v3 = "{\"prompt\": \"Translate 'hi' to French\", \"completion\": \"salut\"}\n{\"prompt\": \"2+2?\", \"completion\": \"4\"}\n";
        var dataset = await platform.UploadAndValidateAsync(user, v3);
        Assert.Equal("error", dataset["status"]!.GetValue<string>());
        var id = dataset["id"]!.GetValue<Guid>();

        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async _ =>
        {
            var accepted = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new { format = "brightrun_lora_v3" }).ToUrl($"/api/datasets/{id}/validate");
                s.StatusCodeShouldBe(202);
            });
            Assert.Equal("validating", (await accepted.Data())["status"]!.GetValue<string>());
        }));

        var after = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}"))).Data();
        Assert.Equal("ready", after["status"]!.GetValue<string>());
        Assert.Equal("brightrun_lora_v3", after["format"]!.GetValue<string>());
        Assert.Equal(2, after["total_training_pairs"]!.GetValue<long>());
        Assert.Equal(2, after["validation_run"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_bare_post_validates_again_with_the_current_settings()
    {
        // curl -X POST .../validate sends neither a body nor a content type: every field is optional, so it is {}
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(2));
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async _ =>
            await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/datasets/{dataset["id"]}/validate");
                s.StatusCodeShouldBe(202);
            })));

        var after = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{dataset["id"]}"))).Data();
        Assert.Equal(("ready", 2, "brightrun_lora_v4"), (after["status"]!.GetValue<string>(), after["validation_run"]!.GetValue<int>(), after["format"]!.GetValue<string>()));
    }

    [Fact]
    public async Task revalidation_with_an_out_of_range_limit_names_the_field()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(2));
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { max_sequence_length = 5 }).ToUrl($"/api/datasets/{dataset["id"]}/validate");
            s.StatusCodeShouldBe(400);
        });
        Assert.NotNull((await result.Problem(400))["details"]!["max_sequence_length"]);
    }

    [Fact]
    public async Task a_long_example_is_a_warning_that_does_not_block_training()
    {
        var user = await platform.CreateUserAsync();
        var huge = string.Join(' ', Enumerable.Repeat("token", 5000));
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.ChatLine(huge, "short") + "\n");
        Assert.Equal("ready", dataset["status"]!.GetValue<string>());
        Assert.Equal(1, dataset["warning_counts"]!["sequence_too_long"]!.GetValue<long>());
        Assert.Equal(4096, dataset["validation_report"]!["billable_tokens"]!.GetValue<long>());
    }
}

/// <summary>A platform whose upload limit is 64 KiB, so "too large" is cheap to test.</summary>
public sealed class SmallUploadLimitHost : PlatformHost
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["Datasets:MaxUploadBytes"] = (64 * 1024).ToString();
}

public sealed class when_an_upload_is_over_the_limit(SmallUploadLimitHost platform) : IClassFixture<SmallUploadLimitHost>
{
    [Fact]
    public async Task it_is_refused_with_413_and_nothing_is_left_behind()
    {
        var user = await platform.CreateUserAsync();
        var big = Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(2000));
        Assert.True(big.Length > 64 * 1024);

        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.MultipartFormData(DatasetUploads.Form(big, "too big")).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(413);
        });
        Assert.Contains("65,536", (await result.Problem(413))["details"]!.GetValue<string>());

        var list = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/datasets"))).Data();
        Assert.Equal(0, list["pagination"]!["total"]!.GetValue<long>());
        var bucket = Path.Combine(platform.BlobRoot, "lora-datasets");
        Assert.True(!Directory.Exists(bucket) || Directory.GetFiles(bucket, "*", SearchOption.AllDirectories).Length == 0);
    }
}
