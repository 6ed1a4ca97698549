using System.Security.Cryptography;

namespace LoraPipeline.Cli.Tests;

/// <summary>
/// The commands written against the lifecycle issue's endpoints (pause, resume, checkpoints, the
/// estimate's allowed_to_proceed), which the real Host does not serve yet: checked against the
/// fake server answering in the shapes that issue gives.
/// </summary>
public sealed class when_the_server_has_the_lifecycle_endpoints
{
    [Fact]
    public async Task train_refuses_an_estimate_that_is_not_allowed_to_proceed()
    {
        await using var server = await StartAsync();
        using var user = Signed(server);

        var result = await user.RunAsync("train", "--dataset", Guid.NewGuid().ToString(), "--yes");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Not queued: This job's estimated $12.50 would take May over its hard budget of $10.00.", result.Stderr);
        Assert.Matches(@"budget left this month\s+│ \$3\.25", result.Stdout);
        Assert.DoesNotContain("POST /api/jobs", server.Requests); // nothing was queued (only the estimate was asked for)
    }

    [Fact]
    public async Task a_checkpoint_is_listed_and_downloaded_through_the_models_job()
    {
        await using var server = await StartAsync();
        using var user = Signed(server);

        var list = await user.RunAsync("jobs", "checkpoints", server.JobId.ToString());
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"│\s+20 │\s+1 │", list.Stdout);

        var download = await user.RunAsync("models", "download", server.ModelId.ToString(), "--checkpoint", "20");
        Assert.True(download.ExitCode == 0, download.ToString());
        var file = Path.Combine(user.Home, $"lora-model-{server.ModelId.ToString()[..8]}-step-20", "adapter_model.safetensors");
        Assert.Equal(SHA256.HashData(server.CheckpointFile), SHA256.HashData(await File.ReadAllBytesAsync(file)));
        Assert.Contains($"POST /api/jobs/{server.JobId}/checkpoints/20/download", server.Requests);

        var missing = await user.RunAsync("models", "download", server.ModelId.ToString(), "--checkpoint", "7");
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("Checkpoint not found", missing.Stderr);
    }

    [Fact]
    public async Task pause_prints_the_new_status_and_a_refused_resume_prints_the_409()
    {
        await using var server = await StartAsync();
        using var user = Signed(server);

        var pause = await user.RunAsync("jobs", "pause", server.JobId.ToString());
        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Contains("now paused", pause.Stdout);

        var resume = await user.RunAsync("jobs", "resume", server.JobId.ToString());
        Assert.True(resume.ExitCode == 1, resume.ToString());
        Assert.Contains("Job is not paused: Only a paused job can be resumed; this job is 'running'.", resume.Stderr);
    }

    private static async Task<FakeJobServer> StartAsync()
    {
        var server = new FakeJobServer(FakeJobServer.StreamMode.NeverEnds);
        await server.StartAsync();
        return server;
    }

    private static CliUser Signed(FakeJobServer server)
    {
        var user = new CliUser("future");
        user.Environment["LORA_URL"] = server.Url;
        user.Environment["LORA_API_KEY"] = "lp_fake_key";
        return user;
    }
}
