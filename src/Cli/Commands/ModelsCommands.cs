using System.CommandLine;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Download;
using LoraPipeline.Cli.Rendering;
using Spectre.Console;

namespace LoraPipeline.Cli.Commands;

/// <summary>lora models list/show/download.</summary>
public static class ModelsCommands
{
    public static Command Build() => new("models", Help.Text("Your trained models: list them, look into one, download its files (or a checkpoint's).",
        "lora models list --sort quality", "lora models download 3f2a… --out ./adapter"))
    {
        List(), Show(), DownloadCommand(),
    };

    private static Command List()
    {
        var (page, limit) = Paging.Options();
        var sort = new Option<string>("--sort") { Description = "created_at (newest first) or quality (best first)", DefaultValueFactory = _ => "created_at" };
        sort.AcceptOnlyFromAmong("created_at", "quality");
        var command = new Command("list", Help.Text("Your models with their quality, dataset and size.", "lora models list", "lora models list --sort quality --json"))
        {
            page, limit, sort,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var result = await session.Api.ListModelsAsync(parse.GetValue(page), parse.GetValue(limit), parse.GetValue(sort), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(result.Raw);
                return ExitCodes.Ok;
            }

            // the job and the dataset are in lora models show: two ids in one row do not fit a terminal
            var table = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("id").NoWrap()).AddColumn("name").AddColumn("status")
                .AddColumn(new TableColumn("quality").NoWrap()).AddColumn(new TableColumn("size").RightAligned().NoWrap()).AddColumn(new TableColumn("created").NoWrap());
            foreach (var m in result.Value.Models)
            {
                table.AddRow(m.Id.ToString(), Terminal.Esc(m.Name), Terminal.Esc(m.Status), Terminal.Esc(Quality(m, terminal.Live)),
                    Format.Bytes(m.TotalSize), Format.Time(m.CreatedAt));
            }

            Paging.Write(terminal, table, result.Value.Models.Count, result.Value.Pagination, "models", "a completed job makes one");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Quality(Model m, bool unicode) =>
        m.QualityMetrics is { } q
            ? $"{(unicode ? new string('★', q.OverallScore) + new string('☆', 5 - Math.Clamp(q.OverallScore, 0, 5)) : $"{q.OverallScore}/5")} {q.ConvergenceQuality}"
            : "—";

    private static Command Show()
    {
        var id = DatasetsCommands.IdArgument("model");
        var command = new Command("show", Help.Text("One model: quality, training summary, configuration, adapter, files with sizes and SHA-256.", "lora models show 3f2a…"))
        {
            id,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var model = await session.Api.GetModelAsync(parse.GetValue(id), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(model.Raw);
                return ExitCodes.Ok;
            }

            var m = model.Value;
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            void Row(string name, string? value) => grid.AddRow(Terminal.Esc(name), Terminal.Esc(value ?? "—"));
            grid.AddRow("model", $"[bold]{Terminal.Esc(m.Name)}[/] {Terminal.Esc(m.Version)} ({m.Id})");
            Row("status", m.Status + (m.CollectionError is { } error ? $": {error}" : ""));
            Row("job", m.JobId.ToString());
            Row("dataset", $"{m.DatasetName} ({m.DatasetId})");
            if (m.QualityMetrics is { } q)
            {
                Row("quality", Quality(m, terminal.Live));
                Row("final losses", $"training {Format.Number(q.FinalTrainingLoss)} · validation {Format.Number(q.FinalValidationLoss)} · perplexity {Format.Number(q.Perplexity, "0.00")}");
                Row("loss reduction", q.LossReduction is { } r ? Format.Percent((decimal)(r * 100)) : "—");
                Row("generalisation gap", q.GeneralizationGap is { } g ? Format.Percent((decimal)(g * 100)) : "—");
            }

            if (m.TrainingSummary is { } t)
            {
                Row("training", $"{t.EpochsCompleted} epochs, {t.TotalSteps} steps, {Format.Hours(t.TrainingDurationHours)}, {Format.Money(t.TotalCost)}");
            }

            if (m.Configuration is { } c)
            {
                Row("configuration", $"preset {c.PresetId}; {JobsCommands.Gpu(c.GpuConfig)}; {TrainingCommands.Describe(c.Hyperparameters)}");
            }

            if (m.Adapter is { } a)
            {
                Row("adapter", $"{a.PeftType} r={a.Rank} alpha={a.Alpha}, {Format.Count(a.ParameterCount)} parameters in {a.TensorCount} tensors ({a.DType}); targets {string.Join(", ", a.TargetModules ?? [])}");
            }

            terminal.Render(grid);
            var files = new Table().Border(TableBorder.Rounded).AddColumn("file").AddColumn(new TableColumn("size").RightAligned()).AddColumn("sha256").AddColumn("flag");
            foreach (var f in m.Artifacts ?? [])
            {
                files.AddRow(Terminal.Esc(f.Name), Format.Bytes(f.Size), f.Sha256, Terminal.Esc(f.FlaggedReason ?? ""));
            }

            if (m.Artifacts is { Count: > 0 })
            {
                terminal.Render(files);
                terminal.Note($"Download: lora models download {m.Id}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command DownloadCommand()
    {
        var id = DatasetsCommands.IdArgument("model");
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder to download into (created if missing; default ./lora-model-<first 8 characters of the id>)" };
        var checkpoint = new Option<int?>("--checkpoint") { Description = "Download the files of the job's checkpoint at this step instead of the final model (lora jobs checkpoints JOB)" };
        var files = new Option<string[]>("--file") { Description = "Only this file (repeatable); default every file", AllowMultipleArgumentsPerToken = false };
        var flagged = new Option<bool>("--include-flagged") { Description = "Also download files the server flagged as not what they claim to be" };
        var command = new Command("download", Help.Text(
            "Download a model's files through signed links, with a progress bar per file. An interrupted download is kept as NAME.part and resumed with a Range request; every file is checked against its SHA-256 and deleted (exit 1) when it does not match.",
            "lora models download 3f2a… --out ./adapter",
            "lora models download 3f2a… --checkpoint 200 --out ./step-200"))
        {
            id, output, checkpoint, files, flagged,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var modelId = parse.GetValue(id);
            var step = parse.GetValue(checkpoint);
            var terminal = session.Terminal;
            ApiData<DownloadLinks> links;
            if (step is { } s)
            {
                var model = await session.Api.GetModelAsync(modelId, ct);
                links = await session.Api.CheckpointLinksAsync(model.Value.JobId, s, ct);
                var wanted = parse.GetValue(files) ?? [];
                if (wanted.Length > 0)
                {
                    links = links with { Value = new DownloadLinks(links.Value.Links.Where(l => wanted.Contains(l.FileName)).ToList()) };
                }
            }
            else
            {
                links = await session.Api.ModelLinksAsync(modelId, parse.GetValue(files), parse.GetValue(flagged), ct);
            }

            var folder = parse.GetValue(output)?.FullName
                ?? Path.Combine(Environment.CurrentDirectory, $"lora-model-{modelId.ToString()[..8]}" + (step is { } st ? $"-step-{st}" : ""));
            Directory.CreateDirectory(folder);
            terminal.Note($"Downloading {links.Value.Links.Count} file(s), {Format.Bytes(links.Value.Links.Sum(l => l.Size))}, into {folder}");
            IReadOnlyList<DownloadResult> results;
            try
            {
                results = await DownloadAllAsync(terminal, links.Value.Links, folder, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                terminal.Note($"Interrupted: what arrived is kept as {FileDownloader.PartSuffix} files in {folder}; the same command again resumes it.");
                return ExitCodes.Interrupted;
            }

            if (terminal.Json)
            {
                terminal.WriteJson(links.Raw);
            }

            foreach (var (link, result) in links.Value.Links.Zip(results))
            {
                var how = result.Outcome switch
                {
                    DownloadOutcome.Resumed => $"resumed at byte {result.ResumedFrom:N0} with a Range request",
                    DownloadOutcome.AlreadyPresent => "already there",
                    _ => "downloaded",
                };
                terminal.Plain($"{link.FileName}  {Format.Bytes(link.Size)}  {how}  sha256 ok ({link.Sha256[..12]}…)");
            }

            terminal.Note($"All files are in {folder}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One file after another, each with its own bar on a terminal; a mismatch stops at that file (exit 1).</summary>
    private static async Task<IReadOnlyList<DownloadResult>> DownloadAllAsync(Terminal terminal, IReadOnlyList<DownloadLink> links, string folder, CancellationToken ct)
    {
        // its own client: signed links carry their own credential, and the API key must not travel to wherever they point
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var downloader = new FileDownloader(http);
        var results = new List<DownloadResult>();
        if (!terminal.Live || terminal.Json)
        {
            foreach (var link in links)
            {
                results.Add(await downloader.DownloadAsync(link, folder, null, ct));
            }

            return results;
        }

        await terminal.Out.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = links.Select(l => context.AddTask(Markup.Escape(l.FileName), autoStart: false, maxValue: Math.Max(1, l.Size))).ToList();
                foreach (var (link, task) in links.Zip(tasks))
                {
                    task.StartTask();
                    results.Add(await downloader.DownloadAsync(link, folder, present => task.Value = present, ct));
                    task.Value = task.MaxValue;
                    task.StopTask();
                }
            });
        return results;
    }
}
