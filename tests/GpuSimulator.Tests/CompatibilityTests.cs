using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LoraPipeline.GpuSimulator.Tests;

/// <summary>Contract v2 next to what came before: v1 clients, tables of the former simulator, several processes, callbacks.</summary>
public sealed class CompatibilityTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly string[] V1Statuses = ["queued", "initializing", "running", "completed", "failed", "cancelled"];
    private static readonly string[] V1Stages = ["queued", "initializing", "loading_model", "training", "validating", "saving", "completed", "failed", "cancelled"];

    [Fact]
    public async Task A_v1_client_ignoring_the_new_fields_gets_a_valid_complete_status()
    {
        await using var host = await SimulatorTestHost.StartAsync(database);
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        // StatusDto is the v1 shape: unknown members are skipped, as a v1 client's reader does
        var seen = await host.RunToEndAsync(id, stepSimulatedSeconds: 5);
        Assert.All(seen, s =>
        {
            Assert.Contains(s.Status, V1Statuses);
            Assert.Contains(s.Stage, V1Stages);
            Assert.Equal(id, s.ExternalJobId);
            Assert.Equal((3, 150), (s.TotalEpochs, s.TotalSteps));
        });
        Assert.Equal("completed", seen[^1].Status);
        Assert.Equal(Enumerable.Range(1, 150), (await host.StatusAsync(id)).MetricsHistory.Select(p => p.Step));

        // the document a v1 client reads has every v1 field; the v2 fields come on top
        host.Clock.Set(new ManualClock().GetUtcNow());
        host.AdvanceSimulated(700);
        using var document = JsonDocument.Parse(await host.StatusJsonAsync(id));
        var root = document.RootElement;
        foreach (var name in new[] { "external_job_id", "status", "stage", "progress", "current_epoch", "total_epochs", "current_step", "total_steps", "started_at", "metrics", "metrics_history" })
        {
            Assert.True(root.TryGetProperty(name, out _), name);
        }

        Assert.Equal(1, root.GetProperty("attempt").GetInt32());
        Assert.Equal(0, root.GetProperty("recovery_count").GetInt32());
        Assert.Equal(695, root.GetProperty("gpu_seconds").GetDouble(), 0.01);
        Assert.Equal("running", root.GetProperty("attempts")[0].GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("checkpoints").ValueKind);
    }

    [Fact]
    public async Task A_table_made_by_the_former_simulator_gains_the_new_columns_and_its_jobs_keep_running()
    {
        var schema = database.Schema + "_old";
        var submittedAt = new ManualClock().GetUtcNow();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            // the DDL of the v1 simulator, and one of its rows
            await using var command = new NpgsqlCommand($$"""
                create schema "{{schema}}";
                create table "{{schema}}".jobs (
                    external_job_id     text primary key,
                    job_id              uuid not null unique,
                    idempotency_key     text not null unique,
                    submitted_at        timestamptz not null,
                    dataset_url         text not null,
                    callback_url        text null,
                    hyperparameters     jsonb not null,
                    gpu_config          jsonb not null,
                    train_examples      integer not null,
                    validation_examples integer not null,
                    dataset_bytes       bigint not null,
                    time_scale          double precision not null,
                    gpu_throughput      double precision not null,
                    fail_at_step        integer null,
                    lost                boolean not null default false,
                    cancelled_at        timestamptz null,
                    submit_calls        integer not null default 1,
                    accepted_by         text not null,
                    artifact_manifest   jsonb null
                );
                create table "{{schema}}".injected_faults (kind text primary key, injected bigint not null);
                insert into "{{schema}}".jobs (external_job_id, job_id, idempotency_key, submitted_at, dataset_url, hyperparameters,
                    gpu_config, train_examples, validation_examples, dataset_bytes, time_scale, gpu_throughput, accepted_by)
                values ('sim-old', '00000000-0000-4000-8000-00000000001d', 'old-key', @submitted_at, 'http://x/old.jsonl',
                    '{"base_model":"TinyLlama/TinyLlama-1.1B-Chat-v1.0","learning_rate":0.0002,"batch_size":4,"num_epochs":3,"lora_rank":8,"lora_alpha":16,"lora_dropout":0.05}',
                    '{"gpu_type":"A100-80GB","num_gpus":2,"gpu_memory_gb":80,"cost_per_gpu_hour":3.5}',
                    200, 20, 220000, 40, 1800, 'simulator v1');
                """, connection);
            command.Parameters.AddWithValue("submitted_at", submittedAt.UtcDateTime);
            await command.ExecuteNonQueryAsync();
        }

        try
        {
            await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
            {
                ["Simulator:Schema"] = schema,
                ["Simulator:RestartSeconds"] = "30", // an option, not the row: the row's default (120) applies to old rows
            });
            var columns = await database.ScalarAsync<string>(
                "select string_agg(column_name, ',' order by column_name) from information_schema.columns where table_schema = @schema and table_name = 'jobs' and column_name in ('preempt_at_step', 'restart_seconds', 'checkpoint_every', 'lifecycle_calls', 'checkpoint_manifests')",
                ("schema", schema));
            Assert.Equal("checkpoint_every,checkpoint_manifests,lifecycle_calls,preempt_at_step,restart_seconds", columns);

            host.AdvanceSimulated(700);
            var running = await host.StatusV2Async("sim-old", int.MaxValue);
            Assert.Equal(("running", 1, 0), (running.Status, running.Attempt, running.RecoveryCount));
            Assert.Equal(695 * 2, running.GpuSeconds, 0.01);

            await host.PauseOkAsync("sim-old");
            var resumed = await host.ResumeOkAsync("sim-old");
            Assert.Equal(2, resumed.Attempt);
            host.AdvanceSimulated(119);
            Assert.Equal("initializing", (await host.StatusV2Async("sim-old", int.MaxValue)).Status);
            host.AdvanceSimulated(2);
            Assert.Equal("running", (await host.StatusV2Async("sim-old", int.MaxValue)).Status);
            Assert.Equal("completed", (await host.RunToEndAsync("sim-old", 600))[^1].Status);

            // a second start over the upgraded table changes nothing
            await using var again = await SimulatorTestHost.StartAsync(database, host.Clock, new Dictionary<string, string?> { ["Simulator:Schema"] = schema });
            Assert.Equal(await host.StatusJsonAsync("sim-old"), await again.StatusJsonAsync("sim-old"));
        }
        finally
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists \"{schema}\" cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Two_simulators_on_one_database_agree_on_a_job_paused_by_one_and_resumed_by_the_other()
    {
        var start = new DateTimeOffset(2031, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var settings = new Dictionary<string, string?> { ["Simulator:PreemptionRate"] = "1" };
        await using var a = await SimulatorTestHost.StartAsync(database, new ManualClock(start), settings);
        await using var b = await SimulatorTestHost.StartAsync(database, new ManualClock(start), settings);
        var (jobId, body) = TestData.StandardJob(a);
        var id = await a.SubmitOkAsync(body, jobId.ToString());

        void At(double simulated)
        {
            a.Clock.Set(start);
            b.Clock.Set(start);
            a.AdvanceSimulated(simulated);
            b.AdvanceSimulated(simulated);
        }

        // preempted (between 25% and 75% of the run, before ~1300 s), resumed by B, paused by A, resumed by B
        At(1400);
        Assert.Equal("recovering", (await a.StatusV2Async(id)).Status);
        At(1500);
        await b.ResumeOkAsync(id);
        At(1700);
        await a.PauseOkAsync(id);
        At(2000);
        await b.ResumeOkAsync(id);

        foreach (var simulated in new[] { 0.0, 700, 1000, 1400, 1550, 1650, 1700, 1800, 2000, 2100, 2500, 4000 })
        {
            At(simulated);
            var fromA = await a.StatusJsonAsync(id);
            Assert.Equal(fromA, await b.StatusJsonAsync(id));
            Assert.Equal(await a.StatusJsonAsync(id, 20), await b.StatusJsonAsync(id, 20));
        }

        // asked about an instant before the calls, the job is as the calls had not come yet
        At(1450);
        var before = await b.StatusV2Async(id);
        Assert.Equal(("recovering", 1), (before.Status, before.Attempt));
        At(4000);
        var final = await a.StatusV2Async(id);
        Assert.Equal("completed", final.Status);
        Assert.Equal(["preempted", "paused", "completed"], final.Attempts.Select(x => x.Outcome));
        Assert.Equal((3, 1), (final.Attempt, final.RecoveryCount));
        var listingA = await a.Client.GetFromJsonAsync<ArtifactsDto>($"training/artifacts/{id}?checkpoint={final.Checkpoints[0].Step}", Json.Options);
        var listingB = await b.Client.GetFromJsonAsync<ArtifactsDto>($"training/artifacts/{id}?checkpoint={final.Checkpoints[0].Step}", Json.Options);
        Assert.Equal(listingA!.Files.Select(f => (f.Name, f.Size, f.Sha256)), listingB!.Files.Select(f => (f.Name, f.Size, f.Sha256)));
    }

    [Fact]
    public async Task Callbacks_push_every_change_of_status_signed_v2_over_method_and_path()
    {
        // a long interval: what arrives within seconds is pushed because the status changed
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:CallbackInterval"] = "00:00:05",
            ["Simulator:PreemptionRate"] = "1",
        });
        // an id preempted late (step 100 or more of its 150): the first 700 simulated seconds must show it running,
        // not jump past its preemption (a random id preempted early went straight to recovering, and no running was pushed)
        var jobId = Enumerable.Range(0, 10_000)
            .Select(_ => Guid.NewGuid())
            .First(g => JobSimulation.ChoosePreemptionStep(g, 1, 150) >= 100);
        var name = $"life-{jobId:N}";
        var id = await host.SubmitOkAsync(TestData.Submission(jobId, host.PublishDataset($"{name}.jsonl", TestData.Dataset(200, 20)),
            callbackUrl: $"{host.BaseUrl}/callbacks/{name}"), jobId.ToString());

        async Task<ReceivedCallback> Pushed(string status, int attempt)
        {
            var callback = await host.Callbacks.WaitForAsync(c =>
            {
                if (c.Name != name)
                {
                    return false;
                }

                using var document = JsonDocument.Parse(c.Body);
                return document.RootElement.GetProperty("status").GetString() == status
                    && document.RootElement.GetProperty("attempt").GetInt32() == attempt;
            }, TimeSpan.FromSeconds(20));
            DeterminismAndCallbackTests.AssertSigned(callback);
            return callback;
        }

        host.AdvanceSimulated(700);
        await Pushed("running", 1);
        await host.AdvanceUntilAsync(id, s => s.Status == "recovering", 5);
        var recovering = await Pushed("recovering", 1);
        await host.ResumeOkAsync(id);
        await Pushed("initializing", 2);
        host.AdvanceSimulated(200);
        await Pushed("running", 2);
        await host.PauseOkAsync(id);
        var paused = await Pushed("paused", 2);
        await host.ResumeOkAsync(id);
        await Pushed("initializing", 3);
        host.AdvanceSimulated(10_000);
        var completed = await Pushed("completed", 3);

        var status = JsonSerializer.Deserialize<StatusV2Dto>(completed.Body, Json.Options)!;
        Assert.Equal(["preempted", "paused", "completed"], status.Attempts.Select(a => a.Outcome));
        Assert.True(status.GpuSeconds > 0);
        Assert.Equal(1, JsonSerializer.Deserialize<StatusV2Dto>(paused.Body, Json.Options)!.RecoveryCount);

        // the signature covers the verb and the path: it does not verify for another job's path or another method
        Assert.StartsWith("v2=", recovering.Signature, StringComparison.Ordinal);
        string Sign(string method, string path) => "v2=" + Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(SimulatorTestHost.CallbackSecret), Encoding.UTF8.GetBytes($"{recovering.Timestamp}.{method}.{path}.{recovering.Body}")));
        Assert.Equal(Sign("POST", $"/callbacks/{name}"), recovering.Signature);
        Assert.NotEqual(Sign("PUT", $"/callbacks/{name}"), recovering.Signature);
        Assert.NotEqual(Sign("POST", "/callbacks/another-job"), recovering.Signature);
    }

    [Fact]
    public async Task CallbackSignature_v1_keeps_the_former_scheme()
    {
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:CallbackInterval"] = "00:00:00.050",
            ["Simulator:CallbackSignature"] = "v1",
        });
        var jobId = Guid.NewGuid();
        var name = $"v1-{jobId:N}";
        await host.SubmitOkAsync(TestData.Submission(jobId, host.PublishDataset($"{name}.jsonl", TestData.Dataset(40, 4)),
            callbackUrl: $"{host.BaseUrl}/callbacks/{name}"), jobId.ToString());

        var callback = await host.Callbacks.WaitForAsync(c => c.Name == name, TimeSpan.FromSeconds(20));

        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(SimulatorTestHost.CallbackSecret), Encoding.UTF8.GetBytes($"{callback.Timestamp}.{callback.Body}"))), callback.Signature);
    }

    [Fact]
    public async Task Invalid_v2_options_fail_at_start()
    {
        foreach (var (key, value) in new[] { ("PreemptionRate", "1.5"), ("RestartSeconds", "-1"), ("CheckpointEvery", "-2"), ("CallbackSignature", "v3") })
        {
            await using var app = GpuSimulatorRegistration.BuildStandalone(
            [
                "--Simulator:Url=http://127.0.0.1:0",
                $"--Simulator:ConnectionString={database.ConnectionString}",
                $"--Simulator:Schema={database.Schema}",
                $"--Simulator:{key}={value}",
            ], builder => builder.Logging.ClearProviders());

            var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
            Assert.Contains(key, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pause_and_resume_require_the_bearer_key()
    {
        await using var host = await SimulatorTestHost.StartAsync(database);
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());
        host.AdvanceSimulated(700);
        using var anonymous = host.CreateClient(apiKey: null);
        using var wrong = host.CreateClient(apiKey: "wrong-key");

        foreach (var client in new[] { anonymous, wrong })
        {
            foreach (var action in new[] { "pause", "resume" })
            {
                using var response = await client.PostAsync($"training/{action}/{id}", null);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            using var checkpoint = await client.GetAsync($"training/artifacts/{id}?checkpoint=37");
            Assert.Equal(HttpStatusCode.Unauthorized, checkpoint.StatusCode);
        }

        Assert.Equal("running", (await host.StatusV2Async(id)).Status); // nothing was paused
    }
}
