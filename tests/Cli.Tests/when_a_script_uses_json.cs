using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit;

namespace LoraPipeline.Cli.Tests;

/// <summary>--json: stdout is the API's data as it came, one document (for follow, one line per event), nothing else.</summary>
[Collection(CliCollection.Name)]
public sealed class when_a_script_uses_json(CliPlatform platform)
{
    [Fact]
    public async Task every_read_command_prints_one_parseable_document_with_the_apis_fields()
    {
        var trained = await platform.ModelAsync();
        using var user = platform.Alice();

        async Task<JsonNode> Json(params string[] command)
        {
            var result = await user.RunAsync([.. command, "--json"], null);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Single(result.StdoutLines);
            return JsonNode.Parse(result.Stdout)!;
        }

        Assert.StartsWith("alice-", (await Json("whoami"))["name"]!.GetValue<string>());
        Assert.Contains((await Json("datasets", "list"))["datasets"]!.AsArray(), d => d!["id"]!.GetValue<Guid>() == trained.DatasetId);
        Assert.Equal("ready", (await Json("datasets", "show", trained.DatasetId.ToString()))["status"]!.GetValue<string>());
        Assert.NotNull((await Json("datasets", "show", trained.DatasetId.ToString()))["validation_report"]!["tokens_per_example"]!["p90"]);
        Assert.True((await Json("estimate", "--dataset", trained.DatasetId.ToString(), "--preset", "fast"))["estimated_cost"]!.GetValue<decimal>() > 0);
        Assert.Equal("completed", (await Json("jobs", "show", trained.JobId.ToString()))["job"]!["status"]!.GetValue<string>());
        Assert.Contains((await Json("jobs", "events", trained.JobId.ToString()))["events"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "training_job_completed");
        Assert.Contains((await Json("models", "list"))["models"]!.AsArray(), m => m!["id"]!.GetValue<Guid>() == trained.ModelId);
        Assert.Equal(trained.JobId, (await Json("models", "show", trained.ModelId.ToString()))["job_id"]!.GetValue<Guid>());
        Assert.Contains("H100", (await Json("gpus"))["gpus"]!.AsArray().Select(g => g!["id"]!.GetValue<string>()));
        Assert.Contains("balanced", (await Json("presets"))["presets"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()));
        Assert.NotNull((await Json("costs", "--period", "week"))["total_cost"]);
        Assert.Equal("none", (await Json("budget"))["status"]!.GetValue<string>());
        Assert.NotNull((await Json("notifications"))["unread_count"]);
    }

    [Fact]
    public async Task train_follow_json_prints_one_line_per_server_sent_event_until_completed()
    {
        using var user = platform.Alice();
        var dataset = await UploadAsync(user);

        var train = await user.RunAsync(["train", "--dataset", dataset.ToString(), "--preset", "fast", "--gpu", "H100", "--epochs", "1", "--yes", "--follow", "--json"], null);
        Assert.True(train.ExitCode == 0, train.ToString());
        var events = train.StdoutLines.Select(line => JsonNode.Parse(line)!).ToList();
        Assert.True(events.Count >= 2, train.ToString());
        Assert.All(events, e => Assert.NotNull(e["new_metrics"])); // the stream's {job, new_metrics}, as it came
        var jobIds = events.Select(e => e["job"]!["id"]!.GetValue<Guid>()).Distinct().ToList();
        Assert.Single(jobIds);
        Assert.Equal("completed", events[^1]["job"]!["status"]!.GetValue<string>());
        var revisions = events.Select(e => e["revision"]!.GetValue<long>()).ToList();
        Assert.Equal(revisions.Order().Distinct(), revisions);
        Assert.Contains("completed", train.Stderr); // what a person wants to know goes to stderr

        // the budget set and read back as JSON, then removed again
        var set = await user.RunAsync(["budget", "set", "250", "--json"], null);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal(250m, JsonNode.Parse(set.Stdout)!["monthly_limit"]!.GetValue<decimal>());
        var clear = await user.RunAsync(["budget", "clear", "--json"], null);
        Assert.True(clear.ExitCode == 0, clear.ToString());
        Assert.Null(JsonNode.Parse(clear.Stdout)!["monthly_limit"]);
        var readAll = await user.RunAsync(["notifications", "read-all", "--json"], null);
        Assert.True(readAll.ExitCode == 0, readAll.ToString());
        Assert.NotNull(JsonNode.Parse(readAll.Stdout)!["marked"]); // not a count: notifications are projected asynchronously and may still arrive
    }

    private static async Task<Guid> UploadAsync(CliUser user)
    {
        var file = Path.Combine(user.Home, "json.jsonl");
        await File.WriteAllTextAsync(file, DatasetUploads.CleanJsonl(15));
        var upload = await user.RunAsync("datasets", "upload", file, "--name", "JSON chats", "--json");
        Assert.True(upload.ExitCode == 0, upload.ToString());
        var dataset = JsonNode.Parse(upload.Stdout)!;
        Assert.Equal("ready", dataset["status"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(upload.Stdout).RootElement.GetProperty("validation_report").ValueKind);
        return dataset["id"]!.GetValue<Guid>();
    }
}
