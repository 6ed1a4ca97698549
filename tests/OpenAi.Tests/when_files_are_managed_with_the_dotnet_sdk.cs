using System.Text;
using LoraPipeline.TestKit;
using OpenAI.Files;

namespace LoraPipeline.OpenAi.Tests;

/// <summary>OpenAI's Files API through the official .NET SDK: a fine-tune file is a dataset, validated in the background.</summary>
public sealed class when_files_are_managed_with_the_dotnet_sdk(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task an_uploaded_file_is_processed_listed_read_and_deleted()
    {
        var user = await platform.CreateUserAsync();
        var client = platform.ClientFor(user);
        var files = client.GetOpenAIFileClient();
        var jsonl = OpenAiSdk.Jsonl(12);

        var file = await platform.UploadAndProcessAsync(client, jsonl, "support.jsonl");

        Assert.StartsWith("file-", file.Id);
        Assert.Equal((FileStatus.Processed, "support.jsonl", FilePurpose.FineTune), (file.Status, file.Filename, file.Purpose));
        Assert.Equal(Encoding.UTF8.GetByteCount(jsonl), file.SizeInBytesLong);
        Assert.Contains((await files.GetFilesAsync()).Value, f => f.Id == file.Id);
        Assert.Equal(jsonl, (await files.DownloadFileAsync(file.Id)).Value.ToString());

        var deleted = (await files.DeleteFileAsync(file.Id)).Value;
        Assert.True(deleted.Deleted);
        Assert.Equal(404, (await OpenAiSdk.FailsAsync(() => files.GetFileAsync(file.Id))).Status);
        Assert.DoesNotContain((await files.GetFilesAsync()).Value, f => f.Id == file.Id);
    }

    [Fact]
    public async Task a_file_with_tool_calls_or_errors_ends_in_error_with_the_lines_named()
    {
        var user = await platform.CreateUserAsync();
        var client = platform.ClientFor(user);
        var jsonl = string.Join('\n',
            """{"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Sunny.", "weight": 1}]}""",
            """{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]}], "tools": []}""",
            """{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 2}]}""") + "\n";

        var file = await platform.UploadAndProcessAsync(client, jsonl);

        Assert.Equal(FileStatus.Error, file.Status);
        Assert.Contains("line 2", file.StatusDetails);
        Assert.Contains("function calling (tools) is not supported", file.StatusDetails);
        Assert.Contains("line 3", file.StatusDetails); // weight 2: OpenAI allows only 0 or 1
    }

    [Fact]
    public async Task another_users_file_and_a_wrong_purpose_are_refused_as_openai_does()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = platform.ClientFor(await platform.CreateUserAsync());
        var file = await platform.UploadAndProcessAsync(platform.ClientFor(owner), OpenAiSdk.Jsonl(6));

        var hidden = await OpenAiSdk.FailsAsync(() => stranger.GetOpenAIFileClient().GetFileAsync(file.Id));
        var missing = await OpenAiSdk.FailsAsync(() => stranger.GetOpenAIFileClient().GetFileAsync("file-" + Guid.NewGuid().ToString("N")));
        Assert.Equal((404, 404), (hidden.Status, missing.Status));
        Assert.Equal(404, (await OpenAiSdk.FailsAsync(() => stranger.GetOpenAIFileClient().DownloadFileAsync(file.Id))).Status);

        var wrongPurpose = await OpenAiSdk.FailsAsync(() => stranger.GetOpenAIFileClient().UploadFileAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(OpenAiSdk.Jsonl(3))), "a.jsonl", FileUploadPurpose.Assistants));
        Assert.Equal(400, wrongPurpose.Status);
        Assert.Contains("purpose", wrongPurpose.Message);
        Assert.Empty((await stranger.GetOpenAIFileClient().GetFilesAsync()).Value);
    }
}
