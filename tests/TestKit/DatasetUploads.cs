using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Alba;
using Wolverine.Tracking;

namespace LoraPipeline.TestKit;

/// <summary>Uploading datasets the way clients do (multipart), and sample JSONL.</summary>
public static class DatasetUploads
{
    public static string ChatLine(string user, string assistant, string? system = null, string? split = null)
    {
        var messages = new JsonArray();
        if (system is not null)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        }

        messages.Add(new JsonObject { ["role"] = "user", ["content"] = user });
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = assistant });
        var line = new JsonObject { ["messages"] = messages };
        if (split is not null)
        {
            line["split"] = split;
        }

        return line.ToJsonString();
    }

    /// <summary>A small valid dataset: <paramref name="count"/> examples, every fifth one for validation.</summary>
    public static string CleanJsonl(int count = 20) => string.Join('\n', Enumerable.Range(1, count).Select(i =>
        ChatLine($"Question number {i}: how do I reset my password?", $"Answer {i}: open Settings, then Security, then Reset.",
            system: "You are a helpful support agent.", split: i % 5 == 0 ? "validation" : null))) + "\n";

    public static MultipartFormDataContent Form(byte[] file, string name, string fileName = "data.jsonl", string contentType = "application/jsonl",
        string? format = null, string? description = null)
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(content, "file", fileName);
        form.Add(new StringContent(name, Encoding.UTF8), "name");
        if (format is not null)
        {
            form.Add(new StringContent(format), "format");
        }

        if (description is not null)
        {
            form.Add(new StringContent(description), "description");
        }

        return form;
    }

    /// <summary>Uploads and waits until the background validation it started has run (a tracked session, no sleeping).</summary>
    public static Task<JsonNode> UploadAndValidateAsync(this PlatformHost platform, TestUser user, string jsonl, string name = "Support chats", string? format = null) =>
        platform.UploadAndValidateAsync(user, Encoding.UTF8.GetBytes(jsonl), name, format);

    public static async Task<JsonNode> UploadAndValidateAsync(this PlatformHost platform, TestUser user, byte[] file, string name = "Support chats", string? format = null)
    {
        IScenarioResult? result = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60))
            .ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async _ =>
            {
                result = await platform.Host.Scenario(s =>
                {
                    s.As(user).Post.MultipartFormData(Form(file, name, format: format)).ToUrl("/api/datasets");
                    s.StatusCodeShouldBe(201);
                });
            }));

        var id = (await result!.Data())["id"]!.GetValue<Guid>();
        var dataset = await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}"));
        return await dataset.Data();
    }
}
