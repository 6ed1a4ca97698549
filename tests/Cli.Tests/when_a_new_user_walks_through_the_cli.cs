using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoraPipeline.TestKit;

namespace LoraPipeline.Cli.Tests;

/// <summary>
/// src/Cli/README.md's walkthrough, as a new user runs it: sign in with a key from stdin, upload a
/// broken file and then a good one, estimate, train with --yes --follow until the job completes,
/// download the model and check every file against its SHA-256.
/// </summary>
[Collection(CliCollection.Name)]
public sealed partial class when_a_new_user_walks_through_the_cli(CliPlatform platform)
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes: the config file is 0600 on Linux and macOS
    public async Task login_upload_estimate_train_follow_and_download_work_as_the_readme_says()
    {
        using var user = new CliUser("walk");

        // login: the key from stdin, checked against the server, stored 0600 in a 0700 folder
        var login = await user.RunAsync(["login", "--url", platform.Url, "--api-key-stdin"], platform.AliceKey + "\n");
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains("Signed in to", login.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(user.ConfigFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(user.ConfigFolder));
        var stored = JsonNode.Parse(await File.ReadAllTextAsync(user.ConfigFile))!;
        Assert.Equal(platform.Url, stored["url"]!.GetValue<string>());
        Assert.Equal(platform.AliceKey, stored["api_key"]!.GetValue<string>());

        var whoami = await user.RunAsync("whoami");
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Contains("alice-", whoami.Stdout);
        Assert.Contains(user.ConfigFile, whoami.Stdout);
        Assert.DoesNotContain(platform.AliceKey, whoami.Stdout); // the secret is never printed

        // a broken file: the errors with their line, code and suggestion, exit 1
        var broken = Path.Combine(user.Home, "broken.jsonl");
        await File.WriteAllTextAsync(broken, string.Join('\n',
            DatasetUploads.ChatLine("How do I reset my password?", "Open Settings, then Security."),
            "{\"messages\": [{\"role\": \"user\", \"content\": \"unterminated\"}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"no reply\"}]}") + "\n");
        var refused = await user.RunAsync("datasets", "upload", broken, "--name", "Broken chats");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("Errors (2)", refused.Stdout);
        Assert.Matches(@"│\s+2 │ invalid_json", refused.Stdout);
        Assert.Matches(@"│\s+3 │ no_assistant_message", refused.Stdout);
        Assert.Contains("Not ready for training", refused.Stdout);

        // a good file: ready, with its counts and token statistics
        var good = Path.Combine(user.Home, "support.jsonl");
        await File.WriteAllTextAsync(good, DatasetUploads.CleanJsonl(20));
        var uploaded = await user.RunAsync("datasets", "upload", good, "--name", "Support chats");
        Assert.True(uploaded.ExitCode == 0, uploaded.ToString());
        var datasetId = Id(UploadedDataset().Match(uploaded.Stdout));
        Assert.Contains("status ready", uploaded.Stdout);
        Assert.Contains("Tokens per example (summary statistics over 20 valid examples)", uploaded.Stdout);
        Assert.Matches(@"training pairs\s+│\s+16 │", uploaded.Stdout);
        Assert.Contains($"lora estimate --dataset {datasetId}", uploaded.Stdout);

        // the estimate, as a table and as the API's JSON: the same total
        string[] configuration = ["--dataset", datasetId.ToString(), "--preset", "fast", "--gpu", "H100", "--epochs", "1"];
        var estimateJson = await user.RunAsync(["estimate", .. configuration, "--json"], null);
        Assert.True(estimateJson.ExitCode == 0, estimateJson.ToString());
        var total = JsonNode.Parse(estimateJson.Stdout)!["estimated_cost"]!.GetValue<decimal>();
        var estimate = await user.RunAsync(["estimate", .. configuration], null);
        Assert.True(estimate.ExitCode == 0, estimate.ToString());
        Assert.Contains("H100 × 1", estimate.Stdout);
        Assert.Matches($@"total\s+│ {Regex.Escape(total.ToString("$#,##0.00", System.Globalization.CultureInfo.InvariantCulture))}\s+│", estimate.Stdout);

        // train --yes --follow: one line per change, step by step, until it completes (exit 0) and names its model
        var train = await user.RunAsync(["train", .. configuration, "--yes", "--follow"], null);
        Assert.True(train.ExitCode == 0, train.ToString());
        var progress = FollowLine().Matches(train.Stdout).Select(m => (Status: m.Groups["status"].Value, Step: int.Parse(m.Groups["step"].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.True(progress.Count >= 3, train.ToString());
        Assert.Equal("completed", progress[^1].Status);
        Assert.Contains(progress, p => p.Status == "running" && p.Step > 0);
        Assert.Equal(progress.Select(p => p.Step).Order(), progress.Select(p => p.Step));
        var jobId = Id(CompletedJob().Match(train.Stdout));
        var modelId = Id(AnnouncedModel().Match(train.Stdout));

        // the job's cost is set against the estimate's GPU time; the model's storage is billed to the model
        var jobJson = JsonNode.Parse((await user.RunAsync("jobs", "show", jobId.ToString(), "--json")).Stdout)!["job"]!;
        var money = (string field) => jobJson[field]!.GetValue<decimal>().ToString("$#,##0.00", System.Globalization.CultureInfo.InvariantCulture);
        var shown = await user.RunAsync("jobs", "show", jobId.ToString());
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains($"{money("final_cost")} (final) · estimate {money("estimated_compute_cost")} ({money("estimated_total_cost")} with the model's storage)", shown.Stdout);

        // download: every file checked against its SHA-256, none left as .part
        var folder = Path.Combine(user.Home, "adapter");
        var download = await user.RunAsync("models", "download", modelId.ToString(), "--out", folder);
        Assert.True(download.ExitCode == 0, download.ToString());
        var show = await user.RunAsync("models", "show", modelId.ToString(), "--json");
        var files = JsonNode.Parse(show.Stdout)!["artifacts"]!.AsArray();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file!["name"]!.GetValue<string>());
            Assert.True(File.Exists(path), $"{path} is missing\n{download}");
            Assert.Equal(file["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
            Assert.Contains($"{file["name"]!.GetValue<string>()}  ", download.Stdout);
        }

        Assert.Empty(Directory.GetFiles(folder, "*.part"));
        Assert.Contains("sha256 ok", download.Stdout);

        // a second run finds every file there and fetches nothing
        var again = await user.RunAsync("models", "download", modelId.ToString(), "--out", folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(files.Count, Regex.Matches(again.Stdout, "already there").Count);

        // the money side sees the job
        var jobs = await user.RunAsync("jobs", "list");
        Assert.Contains("completed", jobs.Stdout);
        var logout = await user.RunAsync("logout");
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.False(File.Exists(user.ConfigFile));
        var signedOut = await user.RunAsync("whoami");
        Assert.Equal(1, signedOut.ExitCode);
        Assert.Contains("Not signed in", signedOut.Stderr);
    }

    private static Guid Id(Match match)
    {
        Assert.True(match.Success, "no id in the output");
        return Guid.Parse(match.Groups["id"].Value);
    }

    [GeneratedRegex(@"Uploaded: dataset (?<id>[0-9a-f-]{36})")]
    private static partial Regex UploadedDataset();

    [GeneratedRegex(@"Job (?<id>[0-9a-f-]{36}) completed in \S+: final cost \$\d+\.\d\d\.")]
    private static partial Regex CompletedJob();

    [GeneratedRegex(@"Model (?<id>[0-9a-f-]{36}) \(stored")]
    private static partial Regex AnnouncedModel();

    [GeneratedRegex(@"^(?<status>\w+)\s+step (?<step>\d+)/\d+\s+epoch \d+/\d+", RegexOptions.Multiline)]
    private static partial Regex FollowLine();
}
