using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.SlurmGateway.Slurm;
using LoraPipeline.TestKit;

namespace LoraPipeline.SlurmGateway.Tests;

/// <summary>Cancels, crashes and hostile input on a real Slurm.</summary>
public sealed class when_jobs_go_wrong_on_slurm(SlurmPlatform platform) : IClassFixture<SlurmPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [SlurmFact]
    public async Task a_cancelled_job_is_cancelled_in_slurm_leaves_no_model_and_is_billed_for_its_gpu_time_and_its_hostile_name_never_reaches_the_script()
    {
        var user = await platform.CreateUserAsync();
        var marker = Path.Combine(Path.GetTempPath(), "pwned-" + Guid.NewGuid().ToString("N"));
        var hostile = $"x'; touch {marker}; echo '$(touch {marker})`touch {marker}`";
        var id = await platform.CreateJobAsync(user, epochs: 20, name: hostile, gpus: 2);

        var running = await platform.WaitForJobAsync(user, id, v => v.Status() == "running" && v["job"]!["current_step"]!.GetValue<int>() >= 2
            || v["job"]!["is_terminal"]!.GetValue<bool>(), Patience, "the training to run");
        Assert.Equal("running", running.Status());
        var external = running["job"]!["external_job_id"]!.GetValue<string>();
        var slurmJobId = platform.SlurmJobIds(external).Single();

        // the script Slurm runs is the gateway's fixed one, word for word: nothing of the request is in it
        var script = SlurmCluster.Scontrol("write", "batch_script", slurmJobId.ToString(), "-");
        var expected = BatchScript.For(["/usr/bin/dotnet", SlurmCluster.Current.Trainer], ["--threads", "1"]);
        Assert.Equal(expected.TrimEnd(), script.TrimEnd());

        await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{id}/cancel"));
        var cancelled = await platform.WaitForJobAsync(user, id, v => v.Status() == "cancelled", Patience, "the cancel");
        await WaitForAsync(() => SlurmCluster.Scontrol("show", "job", slurmJobId.ToString()).Contains("JobState=CANCELLED"), "Slurm to cancel the job");

        var job = (await platform.JobAsync(user, id))["job"]!;
        Assert.Null(job["artifact_id"]);
        var models = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/models"))).Data();
        Assert.Equal(0, models["pagination"]!["total"]!.GetValue<long>());
        // billed for the GPU time it used: 2 GPUs × the seconds Slurm ran it, at $3.50 per GPU-hour
        var gpuSeconds = job["gpu_seconds"]!.GetValue<decimal>();
        Assert.True(gpuSeconds > 0, $"gpu_seconds {gpuSeconds}");
        Assert.Equal(Math.Round(3.50m * gpuSeconds / 3600, 2, MidpointRounding.AwayFromZero), job["final_cost"]!.GetValue<decimal>());
        Assert.False(File.Exists(marker), "the hostile job name ran as a command");
        // the gateway's answer to the cancel is recorded by a message of its own, just after
        await platform.WaitForJobAsync(user, id, v => v["job"]!["cluster_cancel"]?.GetValue<string>() == "confirmed", Patience, "the cancel's confirmation");

        // a submission the platform gave up on is found by its idempotency key (the job id), an unknown key is a 404
        using var gateway = new HttpClient { BaseAddress = new Uri(platform.GatewayUrl) };
        gateway.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SlurmPlatform.ClusterKey);
        var found = await gateway.GetFromJsonAsync<JsonNode>($"/training/jobs/by-key/{id}");
        Assert.Equal((external, "cancelled"), (found!["external_job_id"]!.GetValue<string>(), found["status"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.GetAsync($"/training/jobs/by-key/{Guid.NewGuid()}")).StatusCode);
    }

    [SlurmFact]
    public async Task a_trainer_that_crashes_fails_the_job_with_the_trainers_own_words()
    {
        var user = await platform.CreateUserAsync();
        var id = await platform.CreateJobAsync(user, model: SlurmPlatform.BrokenModelName);

        var failed = await platform.WaitForJobAsync(user, id, v => v["job"]!["is_terminal"]!.GetValue<bool>(), Patience, "the failure");
        Assert.Equal("failed", failed.Status());
        var reason = failed["job"]!["error_message"]!.GetValue<string>();
        Assert.Contains("FAILED", reason);
        Assert.Contains("exited with code 2", reason);
        Assert.Contains("neither tokenizer.json nor tokenizer.model found", reason); // the trainer's own error line
        Assert.Null(failed["job"]!["artifact_id"]);
    }

    [SlurmFact]
    public async Task a_hostile_base_model_is_refused_before_anything_is_written()
    {
        using var http = new HttpClient { BaseAddress = new Uri(platform.GatewayUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", SlurmPlatform.ClusterKey);
        var jobId = Guid.NewGuid();
        var response = await http.PostAsJsonAsync("/training/submit", new
        {
            job_id = jobId,
            dataset_url = "http://localhost/files/x",
            hyperparameters = new { base_model = "lora-pipeline/tiny-llama\"; touch /tmp/pwned; echo \"$(id)", learning_rate = 0.001, batch_size = 4, num_epochs = 1, lora_rank = 8, lora_alpha = 16, lora_dropout = 0.05 },
            gpu_config = new { gpu_type = "A100-80GB", num_gpus = 1 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>();
        Assert.Contains("unsupported base_model", error);
        Assert.Contains(SlurmPlatform.TinyModelName, error);
        Assert.False(Directory.Exists(Path.Combine(platform.JobRoot, jobId.ToString("D"))));

        // and without the cluster key, nothing at all
        using var anonymous = new HttpClient { BaseAddress = new Uri(platform.GatewayUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/training/status/slurm-{jobId:N}")).StatusCode);
    }

    [Fact]
    public void a_configured_word_reaches_bash_exactly_as_written()
    {
        var word = "/opt/it's $(here)/`x` \"lora\" \\ train";
        var echoed = SlurmCluster.Run("/bin/bash", "-c", "printf %s " + BatchScript.Quote(word));
        Assert.Equal(word, echoed);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
