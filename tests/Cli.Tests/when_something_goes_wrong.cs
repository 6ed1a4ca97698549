using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Testing;

namespace LoraPipeline.Cli.Tests;

/// <summary>Every way a command can fail says what happened and what to change, with the documented exit code.</summary>
[Collection(CliCollection.Name)]
public sealed class when_something_goes_wrong(CliPlatform platform)
{
    [Fact]
    public async Task a_wrong_key_is_refused_with_a_message_and_exit_1()
    {
        using var user = new CliUser("wrongkey");
        user.Environment["LORA_URL"] = platform.Url;
        user.Environment["LORA_API_KEY"] = "lp_00000000000000000000000000000000_not-a-real-secret";

        var whoami = await user.RunAsync("whoami");
        Assert.True(whoami.ExitCode == 1, whoami.ToString());
        Assert.Contains("Unauthorized", whoami.Stderr);
        Assert.Contains("LORA_API_KEY", whoami.Stderr); // where the bad key came from, so the user knows what to change
        Assert.Empty(whoami.Stdout);

        // login checks the key before storing anything
        user.Environment.Remove("LORA_API_KEY");
        var login = await user.RunAsync(["login", "--url", platform.Url, "--api-key-stdin"], "lp_wrong_key\n");
        Assert.True(login.ExitCode == 1, login.ToString());
        Assert.Contains("refused this API key", login.Stderr);
        Assert.False(File.Exists(user.ConfigFile));
    }

    [Fact]
    public async Task another_users_dataset_job_and_model_are_not_found()
    {
        var alices = await platform.ModelAsync();
        using var bob = platform.Bob();

        foreach (var command in new[]
        {
            new[] { "datasets", "show", alices.DatasetId.ToString() },
            ["jobs", "show", alices.JobId.ToString()],
            ["jobs", "follow", alices.JobId.ToString()],
            ["models", "download", alices.ModelId.ToString(), "--out", Path.Combine(bob.Home, "stolen")],
        })
        {
            var result = await bob.RunAsync(command);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains("not found", result.Stderr);
            Assert.Contains("No ", result.Stderr); // the problem's details: "No job with that id exists for this account."
        }

        Assert.False(Directory.Exists(Path.Combine(bob.Home, "stolen")) && Directory.EnumerateFiles(Path.Combine(bob.Home, "stolen")).Any());
    }

    [Fact]
    public async Task a_wrong_command_line_exits_2_before_anything_is_sent()
    {
        using var user = platform.Alice();
        foreach (var command in new[]
        {
            new[] { "jobs", "show", "not-an-id" },
            ["estimate", "--preset", "fast"], // --dataset is required
            ["frobnicate"],
            ["costs", "--period", "decade"],
            ["datasets", "upload", Path.Combine(user.Home, "missing.jsonl")],
            ["models", "list", "--sort", "size"],
        })
        {
            var result = await user.RunAsync(command);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("error:", result.Stderr);
            Assert.Contains("--help", result.Stderr);
        }
    }

    [Fact]
    public async Task train_without_yes_and_without_a_terminal_refuses_instead_of_hanging()
    {
        var dataset = (await platform.ModelAsync()).DatasetId;
        using var user = platform.Alice();
        var before = await JobCountAsync();

        var result = await user.RunAsync(["train", "--dataset", dataset.ToString(), "--preset", "fast"], stdin: "y\n");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--yes", result.Stderr);
        Assert.Contains("total", result.Stdout); // the estimate was shown
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task a_server_that_does_not_answer_is_one_clear_sentence()
    {
        using var user = new CliUser("offline");
        user.Environment["LORA_URL"] = $"http://127.0.0.1:{HostCommand.FreePort()}";
        user.Environment["LORA_API_KEY"] = platform.AliceKey;

        var result = await user.RunAsync("datasets", "list");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Could not reach the LoraPipeline server", result.Stderr);
        Assert.Contains("connection was refused", result.Stderr);
    }

    [Fact]
    public async Task without_a_login_a_command_says_how_to_sign_in()
    {
        using var user = new CliUser("nobody");
        var result = await user.RunAsync("jobs", "list");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("lora login --url", result.Stderr);
    }

    [Fact]
    public async Task a_refused_request_prints_every_field_error_by_path()
    {
        var dataset = (await platform.ModelAsync()).DatasetId;
        using var user = platform.Alice();
        var result = await user.RunAsync("estimate", "--dataset", dataset.ToString(), "--batch-size", "500", "--gpus", "12");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Validation failed", result.Stderr);
        Assert.Contains("hyperparameters.batch_size: must be between 1 and 64 (got 500)", result.Stderr);
        Assert.Contains("gpu_config.count: must be between 1 and 8 (got 12)", result.Stderr);
    }

    [Fact]
    public async Task pausing_a_job_that_has_ended_fails_with_the_servers_message()
    {
        // today's server has no pause endpoint (404 for the route), a newer one answers 409 for an ended job: exit 1 either way, with a message
        var job = (await platform.ModelAsync()).JobId;
        using var user = platform.Alice();
        var result = await user.RunAsync("jobs", "pause", job.ToString());
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    private async Task<long> JobCountAsync()
    {
        using var client = platform.Host.ClientFor(platform.AliceKey);
        var list = await client.GetFromJsonAsync<JsonNode>("/api/jobs?limit=1");
        return list!["data"]!["pagination"]!["total"]!.GetValue<long>();
    }
}
