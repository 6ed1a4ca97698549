using System.Text.Json.Nodes;
using Alba;
using Xunit;

namespace LoraPipeline.TestKit;

public static class ScenarioExtensions
{
    /// <summary>Sends the request with this user's API key.</summary>
    public static Scenario As(this Scenario scenario, TestUser user)
    {
        scenario.WithRequestHeader("Authorization", $"Bearer {user.ApiKey}");
        return scenario;
    }

    /// <summary>The response body as JSON, as it is on the wire (snake_case).</summary>
    public static async Task<JsonNode> Json(this IScenarioResult result)
    {
        var text = await result.ReadAsTextAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("empty body");
    }

    /// <summary>The <c>data</c> of a success envelope, after checking <c>success: true</c>.</summary>
    public static async Task<JsonNode> Data(this IScenarioResult result)
    {
        var json = await result.Json();
        Assert.True(json["success"]?.GetValue<bool>(), $"expected a success envelope, got {json.ToJsonString()}");
        return json["data"] ?? throw new InvalidOperationException("no data");
    }

    /// <summary>Asserts an RFC 9457 problem document with our error and details fields.</summary>
    public static async Task<JsonNode> Problem(this IScenarioResult result, int status)
    {
        Assert.Equal(status, result.Context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", result.Context.Response.ContentType);
        var json = await result.Json();
        Assert.Equal(status, json["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(json["title"]?.GetValue<string>()), "problem without title");
        Assert.StartsWith("https://tools.ietf.org/html/rfc", json["type"]?.GetValue<string>() ?? "problem without type");
        Assert.False(string.IsNullOrWhiteSpace(json["error"]?.GetValue<string>()), "problem without error");
        Assert.NotNull(json["details"]);
        return json;
    }
}

public static class ScenarioBodies
{
    /// <summary>The response body as raw bytes (downloads).</summary>
    public static async Task<byte[]> ReadAsBytesAsync(this IScenarioResult result)
    {
        var body = result.Context.Response.Body;
        if (body.CanSeek)
        {
            body.Position = 0;
        }

        using var copy = new MemoryStream();
        await body.CopyToAsync(copy);
        return copy.ToArray();
    }
}
