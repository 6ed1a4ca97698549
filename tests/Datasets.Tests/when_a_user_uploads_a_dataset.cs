using System.Text;
using Alba;
using LoraPipeline.TestKit;
using Microsoft.ML.Tokenizers;

namespace LoraPipeline.Datasets.Tests;

public sealed class when_a_user_uploads_a_dataset(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task a_clean_file_becomes_ready_with_statistics_that_match_a_count_by_hand()
    {
        var user = await platform.CreateUserAsync();
        var lines = new[]
        {
            DatasetUploads.ChatLine("What is LoRA?", "A low-rank adapter for fine-tuning.", system: "Be brief."),
            DatasetUploads.ChatLine("Name a GPU.", "The H100.", split: "validation"),
            DatasetUploads.ChatLine("Say hi", "Hi!"),
        };

        var dataset = await platform.UploadAndValidateAsync(user, string.Join('\n', lines) + "\n");

        Assert.Equal("ready", dataset["status"]!.GetValue<string>());
        Assert.True(dataset["training_ready"]!.GetValue<bool>());
        Assert.NotNull(dataset["validated_at"]);
        Assert.Equal(2, dataset["total_training_pairs"]!.GetValue<long>());
        Assert.Equal(1, dataset["total_validation_pairs"]!.GetValue<long>());

        // by hand: 3 per message + tokens of role and content, + 3 for the reply priming
        var tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        int Message(string role, string content) => 3 + tokenizer.CountTokens(role) + tokenizer.CountTokens(content);
        var expected =
            3 + Message("system", "Be brief.") + Message("user", "What is LoRA?") + Message("assistant", "A low-rank adapter for fine-tuning.")
            + 3 + Message("user", "Name a GPU.") + Message("assistant", "The H100.")
            + 3 + Message("user", "Say hi") + Message("assistant", "Hi!");
        Assert.Equal(expected, dataset["total_tokens"]!.GetValue<long>());
        Assert.Equal(Math.Round(7m / 3, 2), dataset["avg_turns_per_conversation"]!.GetValue<decimal>());
        Assert.Equal(3, dataset["sample_data"]!.AsArray().Count);
        Assert.Equal("What is LoRA?", dataset["sample_data"]![0]!["messages"]![1]!["content"]!.GetValue<string>());
        Assert.Equal(3, dataset["validation_report"]!["example_count"]!.GetValue<long>());
        Assert.Equal(2, dataset["validation_report"]!["examples_missing_system"]!.GetValue<long>());
        Assert.Equal("cl100k_base", dataset["tokenizer"]!.GetValue<string>());
        Assert.Equal($"{user.Id}/{dataset["id"]}/dataset.jsonl", dataset["storage_path"]!.GetValue<string>());
    }

    [Fact]
    public async Task broken_lines_are_reported_on_the_right_lines_with_suggestions_and_paged_in_full()
    {
        var user = await platform.CreateUserAsync();
        var good = DatasetUploads.ChatLine("Hello", "Hi there");
        var jsonl = string.Join('\n',
            good,                                                                  // 1
            "{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}",           // 2 unknown role, no assistant
            "not json at all",                                                      // 3
            "{\"prompt\": \"a\", \"completion\": \"b\"}",                          // 4 v3 line in v4
            good,                                                                   // 5
            "{\"messages\": []}") + "\n";                                          // 6

        var dataset = await platform.UploadAndValidateAsync(user, jsonl);

        Assert.Equal("error", dataset["status"]!.GetValue<string>());
        Assert.False(dataset["training_ready"]!.GetValue<bool>());
        var errors = dataset["validation_errors"]!.AsArray();
        Assert.Equal(new long[] { 2, 3, 4, 6 }, errors.Select(e => e!["line"]!.GetValue<long>()).Distinct().ToArray());
        var unknownRole = errors.First(e => e!["code"]!.GetValue<string>() == "unknown_role")!;
        Assert.Contains("assistant", unknownRole["suggestion"]!.GetValue<string>());
        Assert.Contains(errors, e => e!["code"]!.GetValue<string>() == "invalid_json" && e["line"]!.GetValue<long>() == 3);
        Assert.Contains("brightrun_lora_v3", errors.First(e => e!["line"]!.GetValue<long>() == 4)!["suggestion"]!.GetValue<string>());
        var total = dataset["error_count"]!.GetValue<long>();

        var page1 = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{dataset["id"]}/errors?limit=2"))).Data();
        var page2 = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{dataset["id"]}/errors?limit=2&page=2"))).Data();
        Assert.Equal(total, page1["pagination"]!["total"]!.GetValue<long>());
        var paged = page1["errors"]!.AsArray().Concat(page2["errors"]!.AsArray()).Select(e => e!["line"]!.GetValue<long>()).ToList();
        Assert.Equal(errors.Take(4).Select(e => e!["line"]!.GetValue<long>()).ToList(), paged);
    }

    [Fact]
    public async Task a_file_of_invalid_utf8_gets_errors_that_say_to_save_it_as_utf8()
    {
        var user = await platform.CreateUserAsync();
        var latin1 = Encoding.Latin1.GetBytes("{\"messages\": [{\"role\": \"user\", \"content\": \"caf\u00e9\"}, {\"role\": \"assistant\", \"content\": \"ok\"}]}\n");

        var dataset = await platform.UploadAndValidateAsync(user, latin1, "latin1");

        Assert.Equal("error", dataset["status"]!.GetValue<string>());
        var error = dataset["validation_errors"]![0]!;
        Assert.Equal("invalid_utf8", error["code"]!.GetValue<string>());
        Assert.Equal(1, error["line"]!.GetValue<long>());
        Assert.Contains("UTF-8", error["suggestion"]!.GetValue<string>());
    }

    [Fact]
    public async Task nul_characters_are_line_errors_and_the_dataset_does_not_stay_validating()
    {
        // PostgreSQL cannot store U+0000 in JSON: these lines once left the dataset "validating" for good
        var user = await platform.CreateUserAsync();
        var file = Encoding.UTF8.GetBytes(string.Join('\n',
            """{"messages": [{"role": "user", "content": "a\u0000b"}, {"role": "assistant", "content": "ok"}]}""",
            """{"messages": [{"role": "user", "content": "a literal \\u0000 is text"}, {"role": "assistant", "content": "ok"}]}""",
            """{"messages": [{"role": "us\u0000er", "content": "hi"}, {"role": "assistant", "content": "ok"}]}""") + "\n");

        var dataset = await platform.UploadAndValidateAsync(user, file, "nul");

        Assert.Equal("error", dataset["status"]!.GetValue<string>());
        var errors = dataset["validation_errors"]!.AsArray();
        Assert.Equal([(1L, "nul_character"), (3L, "nul_character")], errors.Select(e => (e!["line"]!.GetValue<long>(), e["code"]!.GetValue<string>())));
        Assert.Contains("byte 45", errors[0]!["error"]!.GetValue<string>());
        Assert.Contains("Remove the NUL", errors[1]!["suggestion"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_binary_file_is_refused_with_415_and_nothing_is_kept()
    {
        var user = await platform.CreateUserAsync();
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D };
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.MultipartFormData(DatasetUploads.Form(png, "picture", "data.jsonl", "application/octet-stream")).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(415);
        });
        await result.Problem(415);
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task an_image_declared_as_such_is_refused_with_415()
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.MultipartFormData(DatasetUploads.Form("{}"u8.ToArray(), "x", "photo.png", "image/png")).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(415);
        });
        Assert.Contains("JSON Lines", (await result.Problem(415))["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_empty_file_is_a_400_that_says_so()
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.MultipartFormData(DatasetUploads.Form([], "empty")).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(400);
        });
        Assert.Contains("empty", (await result.Problem(400))["details"]!.ToJsonString());
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task a_missing_name_or_a_bad_format_is_a_400_naming_the_fields_and_nothing_is_kept()
    {
        var user = await platform.CreateUserAsync();
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(2))), "file", "a.jsonl" }, { new StringContent("v9"), "format" } };
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.MultipartFormData(form).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(400);
        });
        var details = (await result.Problem(400))["details"]!;
        Assert.NotNull(details["name"]);
        Assert.NotNull(details["format"]);
        await AssertNothingStoredAsync(user);
    }

    [Fact]
    public async Task a_request_that_is_not_multipart_is_a_415()
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { name = "x" }).ToUrl("/api/datasets");
            s.StatusCodeShouldBe(415);
        });
        await result.Problem(415);
    }

    [Fact]
    public async Task the_file_name_is_sanitised()
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.MultipartFormData(DatasetUploads.Form(Encoding.UTF8.GetBytes(DatasetUploads.CleanJsonl(2)), "traversal", "../../etc/passwd.jsonl"))
                .ToUrl("/api/datasets");
            s.StatusCodeShouldBe(201);
        });
        var data = await result.Data();
        Assert.Equal("passwd.jsonl", data["file_name"]!.GetValue<string>());
        Assert.EndsWith("/dataset.jsonl", data["storage_path"]!.GetValue<string>());
    }

    private async Task AssertNothingStoredAsync(TestUser user)
    {
        var list = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/datasets"))).Data();
        Assert.Equal(0, list["pagination"]!["total"]!.GetValue<long>());
        var folder = Path.Combine(platform.BlobRoot, "lora-datasets", user.Id.ToString());
        Assert.True(!Directory.Exists(folder) || Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length == 0,
            "an upload that was refused left files behind");
    }
}
