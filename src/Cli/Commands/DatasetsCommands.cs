using System.CommandLine;
using System.Diagnostics;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Rendering;
using Spectre.Console;

namespace LoraPipeline.Cli.Commands;

/// <summary>lora datasets upload/list/show/errors/delete.</summary>
public static class DatasetsCommands
{
    public static Command Build()
    {
        var command = new Command("datasets", Help.Text("Upload JSONL chat datasets, read their validation reports, list and delete them.",
            "lora datasets upload support.jsonl --name \"Support chats\"", "lora datasets list"))
        {
            Upload(), List(), Show(), Errors(), Delete(),
        };
        return command;
    }

    public static Argument<Guid> IdArgument(string what) => new("id") { Description = $"The {what}'s id (as lora {what}s list shows it)" };

    private static Command Upload()
    {
        var file = new Argument<FileInfo>("file") { Description = "A JSON Lines file, one example per line" }.AcceptExistingOnly();
        var name = new Option<string?>("--name") { Description = "The dataset's name (default: the file name without its extension)" };
        var format = new Option<string?>("--format") { Description = "brightrun_lora_v4 (chat messages, the default) or brightrun_lora_v3 (prompt/completion)" };
        format.AcceptOnlyFromAmong("brightrun_lora_v4", "brightrun_lora_v3");
        var description = new Option<string?>("--description") { Description = "A description to keep with it" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once uploaded instead of waiting for the validation report" };
        var maxErrors = new Option<int>("--show-errors") { Description = "How many of the first errors to print", DefaultValueFactory = _ => 10 };
        var command = new Command("upload", Help.Text(
            "Upload a dataset (with a progress bar), wait for its validation (with its progress) and print the report: counts, token statistics, warnings, the first errors with line, code and what to do. Exits 1 when the dataset has errors.",
            "lora datasets upload support.jsonl --name \"Support chats\"",
            "lora datasets upload legacy.jsonl --format brightrun_lora_v3 --no-wait"))
        {
            file, name, format, description, noWait, maxErrors,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var terminal = session.Terminal;
            var info = parse.GetValue(file)!;
            var datasetName = parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(info.Name);
            terminal.Note($"Uploading {info.Name} ({Format.Bytes(info.Length)}) as \"{datasetName}\" to {session.Api.BaseUrl}");
            var created = await UploadWithProgressAsync(session, info, datasetName, parse.GetValue(format), parse.GetValue(description), ct);
            var dataset = created.Value;
            terminal.Line($"Uploaded: dataset [bold]{dataset.Id}[/] ({Terminal.Esc(dataset.Status)}).");
            if (parse.GetValue(noWait))
            {
                if (terminal.Json)
                {
                    terminal.WriteJson(created.Raw);
                }

                terminal.Note($"Its report, once validated: lora datasets show {dataset.Id}");
                return ExitCodes.Ok;
            }

            var validated = await WaitForValidationAsync(session, dataset.Id, ct);
            return Report(terminal, validated, parse.GetValue(maxErrors));
        });
        return command;
    }

    private static async Task<ApiData<Dataset>> UploadWithProgressAsync(Session session, FileInfo file, string name, string? format, string? description, CancellationToken ct)
    {
        var terminal = session.Terminal;
        if (!terminal.Live || terminal.Json)
        {
            return await session.Api.UploadDatasetAsync(file, name, format, description, null, ct);
        }

        ApiData<Dataset>? result = null;
        await terminal.Out.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("upload", maxValue: Math.Max(1, file.Length));
                result = await session.Api.UploadDatasetAsync(file, name, format, description, sent => task.Value = sent, ct);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    /// <summary>Polls the dataset until its validation has run, with a bar of its progress on a terminal.</summary>
    public static async Task<ApiData<Dataset>> WaitForValidationAsync(Session session, Guid id, CancellationToken ct)
    {
        var terminal = session.Terminal;
        var current = await session.Api.GetDatasetAsync(id, ct);
        if (!current.Value.IsValidating)
        {
            return current;
        }

        terminal.Note("Validating…");
        var watch = Stopwatch.StartNew();
        async Task<ApiData<Dataset>> PollAsync(Action<Dataset>? onProgress)
        {
            var latest = current;
            while (latest.Value.IsValidating)
            {
                // quick at first (small files validate in well under a second), then gentler on the server
                await Task.Delay(watch.Elapsed < TimeSpan.FromSeconds(10) ? 250 : 1000, ct);
                latest = await session.Api.GetDatasetAsync(id, ct);
                onProgress?.Invoke(latest.Value);
            }

            return latest;
        }

        if (!terminal.Live || terminal.Json)
        {
            return await PollAsync(null);
        }

        ApiData<Dataset>? done = null;
        await terminal.Out.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("validation", maxValue: 100);
                done = await PollAsync(d => task.Value = (double)(d.ValidationProgress?.Percent ?? (decimal)task.Value));
                task.Value = 100;
            });
        return done!;
    }

    private static int Report(Terminal terminal, ApiData<Dataset> dataset, int maxErrors)
    {
        if (terminal.Json)
        {
            terminal.WriteJson(dataset.Raw);
        }
        else
        {
            DatasetReport.Write(terminal, dataset.Value, maxErrors);
        }

        var d = dataset.Value;
        if (d.Status == "ready" && d.TrainingReady)
        {
            terminal.Note($"Ready to train. Next: lora estimate --dataset {d.Id} --preset balanced");
            return ExitCodes.Ok;
        }

        if (d.Status == "ready")
        {
            terminal.Note("Valid, but it has no training examples (every line is in the validation split): mark some lines \"split\": \"train\" or leave split out.");
            return ExitCodes.Failed;
        }

        terminal.Note("Not ready for training: fix the lines above in the file and upload it again.");
        return ExitCodes.Failed;
    }

    private static Command List()
    {
        var (page, limit) = Paging.Options();
        var status = new Option<string?>("--status") { Description = "Only datasets in this status" };
        status.AcceptOnlyFromAmong("uploading", "validating", "ready", "error");
        var command = new Command("list", Help.Text("Your datasets, newest first (deleted ones are hidden).", "lora datasets list", "lora datasets list --status ready --limit 50"))
        {
            page, limit, status,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var result = await session.Api.ListDatasetsAsync(parse.GetValue(page), parse.GetValue(limit), parse.GetValue(status), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(result.Raw);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn(new TableColumn("id").NoWrap()).AddColumn("name").AddColumn("status").AddColumn(new TableColumn("training").RightAligned())
                .AddColumn(new TableColumn("validation").RightAligned()).AddColumn(new TableColumn("tokens").RightAligned())
                .AddColumn(new TableColumn("errors").RightAligned()).AddColumn(new TableColumn("created").NoWrap());
            foreach (var d in result.Value.Datasets)
            {
                table.AddRow(d.Id.ToString(), Terminal.Esc(d.Name), Terminal.Esc(d.Status), Format.Count(d.TotalTrainingPairs), Format.Count(d.TotalValidationPairs),
                    Format.Count(d.TotalTokens), Format.Count(d.ErrorCount), Format.Time(d.CreatedAt));
            }

            Paging.Write(terminal, table, result.Value.Datasets.Count, result.Value.Pagination, "datasets", "lora datasets upload FILE");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var id = IdArgument("dataset");
        var maxErrors = new Option<int>("--show-errors") { Description = "How many of the first errors to print", DefaultValueFactory = _ => 10 };
        var wait = new Option<bool>("--wait") { Description = "Wait for a validation under way to end first" };
        var command = new Command("show", Help.Text("A dataset's statistics and validation report.", "lora datasets show 9aeb0c7e-…", "lora datasets show 9aeb0c7e-… --wait --json"))
        {
            id, maxErrors, wait,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var dataset = parse.GetValue(wait)
                ? await WaitForValidationAsync(session, parse.GetValue(id), ct)
                : await session.Api.GetDatasetAsync(parse.GetValue(id), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(dataset.Raw);
                return ExitCodes.Ok;
            }

            DatasetReport.Write(terminal, dataset.Value, parse.GetValue(maxErrors));
            if (dataset.Value.ValidationProgress is { } progress)
            {
                terminal.Plain($"validating: {Bars.Gauge(progress.Percent, 30, terminal.Live)} ({Format.Bytes(progress.BytesProcessed)} of {Format.Bytes(progress.TotalBytes)})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Errors()
    {
        var id = IdArgument("dataset");
        var (page, limit) = Paging.Options();
        var command = new Command("errors", Help.Text("Every error of the dataset's latest validation, in line order, page by page.", "lora datasets errors 9aeb0c7e-… --page 2 --limit 100"))
        {
            id, page, limit,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var result = await session.Api.DatasetErrorsAsync(parse.GetValue(id), parse.GetValue(page), parse.GetValue(limit), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(result.Raw);
                return ExitCodes.Ok;
            }

            var errors = result.Value;
            terminal.Plain($"{Format.Count(errors.TotalErrors)} errors" + (errors.ErrorCounts is { Count: > 0 } counts
                ? ": " + string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {Format.Count(c.Value)}"))
                : ""));
            Paging.Write(terminal, DatasetReport.Issues(errors.Errors, int.MaxValue), errors.Errors.Count, errors.Pagination, "errors", null);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = IdArgument("dataset");
        var yes = Confirmation.YesOption("Delete without asking");
        var command = new Command("delete", Help.Text("Delete a dataset: it leaves the lists; its file and its jobs' history are kept. Refused while one of its jobs is active.", "lora datasets delete 9aeb0c7e-… --yes"))
        {
            id, yes,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var datasetId = parse.GetValue(id);
            var dataset = await session.Api.GetDatasetAsync(datasetId, ct);
            Confirmation.Require(session.Terminal, parse.GetValue(yes), $"Delete dataset \"{dataset.Value.Name}\" ({datasetId})?");
            await session.Api.DeleteDatasetAsync(datasetId, ct);
            session.Terminal.Line($"Deleted dataset {datasetId}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
