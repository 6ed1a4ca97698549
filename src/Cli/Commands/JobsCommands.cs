using System.CommandLine;
using System.Text.Json;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Follow;
using LoraPipeline.Cli.Rendering;
using Spectre.Console;

namespace LoraPipeline.Cli.Commands;

/// <summary>lora jobs list/show/events/follow/cancel/pause/resume/checkpoints.</summary>
public static class JobsCommands
{
    public static readonly string[] Statuses = ["queued", "initializing", "running", "paused", "recovering", "completed", "failed", "cancelled"];

    public static Command Build() => new("jobs", Help.Text("Your training jobs: list them, look into one, follow it live, cancel, pause or resume it.",
        "lora jobs list --status running", "lora jobs follow 5c0f…"))
    {
        List(), Show(), Events(), FollowCommand(), Cancel(), Pause(), Resume(), Checkpoints(),
    };

    private static Command List()
    {
        var (page, limit) = Paging.Options();
        var status = new Option<string?>("--status") { Description = "Only jobs in this status" };
        status.AcceptOnlyFromAmong(Statuses);
        var command = new Command("list", Help.Text("Your jobs, newest first.", "lora jobs list", "lora jobs list --status completed --json"))
        {
            page, limit, status,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var result = await session.Api.ListJobsAsync(parse.GetValue(page), parse.GetValue(limit), parse.GetValue(status), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(result.Raw);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("id").NoWrap()).AddColumn("status").AddColumn("dataset").AddColumn("preset")
                .AddColumn("gpu").AddColumn(new TableColumn("progress").RightAligned()).AddColumn(new TableColumn("cost").RightAligned()).AddColumn(new TableColumn("created").NoWrap());
            foreach (var job in result.Value.Jobs)
            {
                table.AddRow(job.Id.ToString(), JobView.StatusMarkup(job.Status), Terminal.Esc(job.DisplayDatasetName), Terminal.Esc(job.PresetId),
                    Terminal.Esc(Gpu(job.GpuConfig)), Format.Percent(job.Progress), Format.Money(job.Cost), Format.Time(job.CreatedAt));
            }

            Paging.Write(terminal, table, result.Value.Jobs.Count, result.Value.Pagination, "jobs", "lora train --dataset ID");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var id = DatasetsCommands.IdArgument("job");
        var command = new Command("show", Help.Text("One job: status, progress, configuration, the loss of its last points, cost.", "lora jobs show 5c0f…"))
        {
            id,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var detail = await session.Api.GetJobAsync(parse.GetValue(id), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(detail.Raw);
                return ExitCodes.Ok;
            }

            var job = detail.Value.Job;
            var state = new JobState(job);
            state.Apply(job, detail.Value.Metrics);
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            void Row(string name, string markup) => grid.AddRow(Terminal.Esc(name), markup);
            Row("job", $"[bold]{job.Id}[/]  {JobView.StatusMarkup(job.Status)}");
            Row("dataset", $"{Terminal.Esc(job.DisplayDatasetName)} ({job.DatasetId})");
            Row("preset", Terminal.Esc(job.PresetId));
            Row("hyperparameters", Terminal.Esc(TrainingCommands.Describe(job.Hyperparameters)));
            Row("gpu", Terminal.Esc($"{Gpu(job.GpuConfig)} at {Format.Money(job.HourlyRate)}/h"));
            Row("progress", Terminal.Esc($"{Bars.Gauge(job.Progress, 30, terminal.Live)} · step {job.CurrentStep} of {job.TotalSteps} · epoch {job.CurrentEpoch} of {job.TotalEpochs}"));
            Row("loss", Terminal.Esc(JobView.Loss(job, state)));
            if (state.Points.Count > 1)
            {
                Row("", Terminal.Esc(Sparkline.Render(state.Points.Select(p => p.TrainingLoss), JobView.SparklineWidth)));
            }

            Row("cost", Terminal.Esc($"{(job.FinalCost is { } final ? $"{Format.Money(final)} (final)" : $"{Format.Money(job.CurrentCost)} so far")} · {JobView.Estimate(job)}"));
            Row("queued", Format.Time(job.QueuedAt));
            Row("started", Format.Time(job.StartedAt));
            Row("ended", Format.Time(job.CompletedAt));
            if (job.RecoveryCount is > 0 || job.Attempt is > 1)
            {
                Row("recoveries", Terminal.Esc($"{job.RecoveryCount ?? 0} (attempt {job.Attempt ?? 1})"));
            }

            if (job.ErrorMessage is { } error)
            {
                Row("reason", $"[red]{Terminal.Esc(error)}[/]");
            }

            if (job.ArtifactId is { } model)
            {
                Row("model", $"{model} (lora models download {model})");
            }

            terminal.Render(grid);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Events()
    {
        var id = DatasetsCommands.IdArgument("job");
        var command = new Command("events", Help.Text("A job's whole history: every event of its stream, in order.", "lora jobs events 5c0f…", "lora jobs events 5c0f… --json"))
        {
            id,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var history = await session.Api.JobEventsAsync(parse.GetValue(id), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(history.Raw);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("version").RightAligned()).AddColumn("event").AddColumn("time").AddColumn("data");
            foreach (var e in history.Value.Events)
            {
                table.AddRow(Format.Int(e.Version), Terminal.Esc(e.Type), Format.Time(e.Timestamp), Terminal.Esc(Summary(e.Data)));
            }

            terminal.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>An event's data in a table cell: its JSON, cut short (--json has all of it).</summary>
    private static string Summary(JsonElement data)
    {
        var text = Terminal.OneLine(data);
        return text.Length > 120 ? text[..119] + "…" : text;
    }

    private static Command FollowCommand()
    {
        var id = DatasetsCommands.IdArgument("job");
        var command = new Command("follow", Help.Text(
            "Follow a job live until it ends: progress bar, step and epoch, loss sparkline, cost so far, time left. Ctrl+C stops following, never the job. Exits 0 when it completed, 1 when it failed or was cancelled.",
            "lora jobs follow 5c0f…", "lora jobs follow 5c0f… --json | jq .job.progress"))
        {
            id,
        };
        command.SetHandler((parse, session, ct) => FollowAsync(session, parse.GetValue(id), ct));
        return command;
    }

    /// <summary>Follows until the job ends, then says how it ended (and, once completed, which model it made).</summary>
    public static async Task<int> FollowAsync(Session session, Guid id, CancellationToken ct)
    {
        var terminal = session.Terminal;
        var follower = new JobFollower(session.Api, terminal.Note);
        Job? final = null;
        try
        {
            if (terminal.Json)
            {
                final = await follower.FollowAsync(id, terminal.WriteJson, _ => { }, ct);
            }
            else if (terminal.Live)
            {
                await terminal.Out.Live(new Text("Connecting…")).StartAsync(async context =>
                {
                    final = await follower.FollowAsync(id, null, state =>
                    {
                        context.UpdateTarget(JobView.Live(state, DateTimeOffset.UtcNow));
                        context.Refresh();
                    }, ct);
                });
            }
            else
            {
                string? previous = null;
                final = await follower.FollowAsync(id, null, state =>
                {
                    var line = JobView.Line(state, DateTimeOffset.UtcNow);
                    if (line != previous)
                    {
                        terminal.Plain(line);
                        previous = line;
                    }
                }, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            terminal.Note($"Stopped following job {id}; the job goes on (nothing was sent to it). Follow it again: lora jobs follow {id}");
            return ExitCodes.Interrupted;
        }

        return await EndedAsync(session, final!, ct);
    }

    private static async Task<int> EndedAsync(Session session, Job job, CancellationToken ct)
    {
        var terminal = session.Terminal;
        var took = job is { StartedAt: { } start, CompletedAt: { } end } ? $" in {Format.Duration(end - start)}" : "";
        switch (job.Status)
        {
            case "completed":
                terminal.Note($"Job {job.Id} completed{took}: final cost {Format.Money(job.Cost)}.");
                await AnnounceModelAsync(session, job, ct);
                return ExitCodes.Ok;
            case "failed":
                terminal.Note($"Job {job.Id} failed{took}: {job.ErrorMessage ?? "no reason given"} (cost {Format.Money(job.Cost)}).");
                return ExitCodes.Failed;
            default:
                terminal.Note($"Job {job.Id} was cancelled{took}: {job.ErrorMessage ?? "no reason given"} (cost {Format.Money(job.Cost)}).");
                return ExitCodes.Failed;
        }
    }

    /// <summary>
    /// A completed job's model is linked a moment later, once its files are stored: wait for that (a
    /// minute at most) so the next command can be named with its id.
    /// </summary>
    private static async Task AnnounceModelAsync(Session session, Job job, CancellationToken ct)
    {
        var terminal = session.Terminal;
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        var modelId = job.ArtifactId;
        terminal.Note("Waiting for its model's files to be stored…");
        try
        {
            while (modelId is null && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
                modelId = (await session.Api.GetJobAsync(job.Id, ct)).Value.Job.ArtifactId;
            }

            var model = modelId is { } linked ? (await session.Api.GetModelAsync(linked, ct)).Value : null;
            while (model is { Status: "collecting" } && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
                model = (await session.Api.GetModelAsync(model.Id, ct)).Value;
            }

            if (model is null)
            {
                terminal.Note("Its model is not stored yet; lora models list shows it once it is.");
            }
            else
            {
                terminal.Note($"Model {model.Id} ({model.Status}, {model.Artifacts?.Count ?? 0} files, {Format.Bytes(model.TotalSize)}). Download it: lora models download {model.Id}");
            }
        }
        catch (ApiException)
        {
            terminal.Note("Its model is not stored yet; lora models list shows it once it is.");
        }
    }

    private static Command Cancel()
    {
        var id = DatasetsCommands.IdArgument("job");
        var yes = Confirmation.YesOption("Cancel without asking");
        var command = new Command("cancel", Help.Text("Cancel a queued, initializing or running job: it stops costing at once.", "lora jobs cancel 5c0f… --yes"))
        {
            id, yes,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var jobId = parse.GetValue(id);
            Confirmation.Require(session.Terminal, parse.GetValue(yes), $"Cancel job {jobId}?");
            var job = await session.Api.CancelJobAsync(jobId, ct);
            return Changed(session.Terminal, job, $"Cancelled job {jobId}: final cost {Format.Money(job.Value.Cost)}.");
        });
        return command;
    }

    private static Command Pause()
    {
        var id = DatasetsCommands.IdArgument("job");
        var command = new Command("pause", Help.Text("Pause a running job (it stops costing GPU time); lora jobs resume carries on. Needs a server with pause support.", "lora jobs pause 5c0f…"))
        {
            id,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var job = await session.Api.PauseJobAsync(parse.GetValue(id), ct);
            return Changed(session.Terminal, job, $"Pausing job {job.Value.Id}: now {job.Value.Status}. Resume it: lora jobs resume {job.Value.Id}");
        });
        return command;
    }

    private static Command Resume()
    {
        var id = DatasetsCommands.IdArgument("job");
        var command = new Command("resume", Help.Text("Resume a paused job. Needs a server with pause support.", "lora jobs resume 5c0f…"))
        {
            id,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var job = await session.Api.ResumeJobAsync(parse.GetValue(id), ct);
            return Changed(session.Terminal, job, $"Resuming job {job.Value.Id}: now {job.Value.Status}. Follow it: lora jobs follow {job.Value.Id}");
        });
        return command;
    }

    private static int Changed(Terminal terminal, ApiData<Job> job, string sentence)
    {
        if (terminal.Json)
        {
            terminal.WriteJson(job.Raw);
        }
        else
        {
            terminal.Plain(sentence);
        }

        return ExitCodes.Ok;
    }

    private static Command Checkpoints()
    {
        var id = DatasetsCommands.IdArgument("job");
        var command = new Command("checkpoints", Help.Text("The checkpoints a job saved, with their losses and files; download one with lora models download MODEL --checkpoint STEP. Needs a server with checkpoint support.", "lora jobs checkpoints 5c0f…"))
        {
            id,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var checkpoints = await session.Api.CheckpointsAsync(parse.GetValue(id), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(checkpoints.Raw);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("step").RightAligned()).AddColumn(new TableColumn("epoch").RightAligned())
                .AddColumn("saved").AddColumn(new TableColumn("training loss").RightAligned()).AddColumn(new TableColumn("validation loss").RightAligned())
                .AddColumn(new TableColumn("attempt").RightAligned()).AddColumn("files");
            foreach (var c in checkpoints.Value.Checkpoints)
            {
                table.AddRow(Format.Int(c.Step), Format.Int(c.Epoch), Format.Time(c.CreatedAt), Format.Number(c.TrainingLoss), Format.Number(c.ValidationLoss),
                    c.Attempt is { } attempt ? Format.Int(attempt) : "—", Markup.Escape(string.Join(", ", c.Files ?? [])));
            }

            if (checkpoints.Value.Checkpoints.Count == 0)
            {
                terminal.Plain("No checkpoints yet.");
            }
            else
            {
                terminal.Render(table);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Gpu(GpuConfig? gpu) => gpu is null ? "—" : $"{gpu.GpuType} × {gpu.NumGpus}";
}
