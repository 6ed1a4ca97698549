using System.CommandLine;
using System.Globalization;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Rendering;
using Spectre.Console;

namespace LoraPipeline.Cli.Commands;

/// <summary>lora presets, lora gpus, lora estimate, lora train.</summary>
public static class TrainingCommands
{
    public const string DefaultGpu = "A100-80GB";
    public const string DefaultPreset = "balanced";

    public static IEnumerable<Command> Build() => [Presets(), Gpus(), EstimateCommand(), Train()];

    /// <summary>The options that describe a job, shared by estimate and train.</summary>
    private sealed class JobOptions
    {
        public Option<Guid> Dataset { get; } = new("--dataset", "-d") { Description = "The dataset to train on (its id; lora datasets list)", Required = true };
        public Option<string> Preset { get; } = new("--preset", "-p") { Description = $"fast, balanced, quality, conservative, aggressive or custom (lora presets); default {DefaultPreset}", DefaultValueFactory = _ => DefaultPreset };
        public Option<string> Gpu { get; } = new("--gpu") { Description = $"GPU type (lora gpus); default {DefaultGpu}", DefaultValueFactory = _ => DefaultGpu };
        public Option<int> Gpus { get; } = new("--gpus") { Description = "How many GPUs, 1-8; default 1", DefaultValueFactory = _ => 1 };
        public Option<int?> Epochs { get; } = new("--epochs") { Description = "Epochs, 1-20 (default: the preset's)" };
        public Option<int?> BatchSize { get; } = new("--batch-size") { Description = "Batch size, 1-64" };
        public Option<decimal?> LearningRate { get; } = new("--learning-rate") { Description = "Learning rate, 0.00001-0.001" };
        public Option<int?> Rank { get; } = new("--rank") { Description = "LoRA rank, 4-128" };
        public Option<int?> Alpha { get; } = new("--alpha") { Description = "LoRA alpha, 1-512" };
        public Option<decimal?> Dropout { get; } = new("--dropout") { Description = "LoRA dropout, 0-0.5" };
        public Option<string?> BaseModel { get; } = new("--base-model") { Description = "Base model (lora presets lists them)" };
        public Option<int?> WarmupSteps { get; } = new("--warmup-steps") { Description = "Warm-up steps, 0-100000" };
        public Option<decimal?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay, 0-1" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Dataset, Preset, Gpu, Gpus, Epochs, BatchSize, LearningRate, Rank, Alpha, Dropout, BaseModel, WarmupSteps, WeightDecay })
            {
                command.Options.Add(option);
            }
        }

        public JobRequest Request(ParseResult parse)
        {
            var hyperparameters = new HyperparameterRequest(
                parse.GetValue(BaseModel), parse.GetValue(LearningRate), parse.GetValue(BatchSize), parse.GetValue(Epochs), parse.GetValue(Rank),
                parse.GetValue(Alpha), parse.GetValue(Dropout), parse.GetValue(WarmupSteps), parse.GetValue(WeightDecay));
            return new JobRequest(parse.GetValue(Dataset), parse.GetValue(Preset), new GpuRequest(parse.GetValue(Gpu)!, parse.GetValue(Gpus)),
                hyperparameters.IsEmpty ? null : hyperparameters);
        }
    }

    private static Command EstimateCommand()
    {
        var options = new JobOptions();
        var command = new Command("estimate", Help.Text(
            "What a job would cost and how long it would take, without queueing it.",
            "lora estimate --dataset 9aeb… --preset balanced",
            "lora estimate --dataset 9aeb… --preset fast --gpu H100 --gpus 2 --epochs 2"));
        options.AddTo(command);
        command.SetHandler(async (parse, session, ct) =>
        {
            var request = options.Request(parse);
            var estimate = await session.Api.EstimateAsync(request, ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(estimate.Raw);
                return ExitCodes.Ok;
            }

            terminal.Render(await TableAsync(session, request, estimate.Value, ct));
            if (!estimate.Value.MayProceed)
            {
                terminal.Line($"[red]Not allowed to proceed:[/] {Terminal.Esc(estimate.Value.ProceedBlockedReason ?? "the server gave no reason")}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Train()
    {
        var options = new JobOptions();
        var yes = Confirmation.YesOption("Queue without asking (needed when stdin is not a terminal)");
        var follow = new Option<bool>("--follow", "-f") { Description = "Then follow the job live until it ends (exit 0 completed, 1 failed or cancelled)" };
        var key = new Option<string?>("--idempotency-key") { Description = "Idempotency-Key to send (default: a new one per run). The same key again answers the same job, never a second one" };
        var command = new Command("train", Help.Text(
            "Show the estimate, ask (y/N), queue the job. Refused when the estimate is not allowed to proceed (the budget's hard limit).",
            "lora train --dataset 9aeb… --preset balanced --follow",
            "lora train --dataset 9aeb… --preset fast --gpu H100 --epochs 1 --yes --follow --json"))
        {
            yes, follow, key,
        };
        options.AddTo(command);
        command.SetHandler(async (parse, session, ct) =>
        {
            var terminal = session.Terminal;
            var request = options.Request(parse);
            var estimate = (await session.Api.EstimateAsync(request, ct)).Value;
            var table = await TableAsync(session, request, estimate, ct);
            if (!terminal.Json || !parse.GetValue(yes))
            {
                terminal.Out.Write(table); // under --json this goes to stderr: the question needs it
            }

            if (!estimate.MayProceed)
            {
                throw new CliException($"Not queued: {estimate.ProceedBlockedReason ?? "the estimate is not allowed to proceed"}. Raise or clear the budget (lora budget), or choose a smaller configuration.");
            }

            Confirmation.Require(terminal, parse.GetValue(yes), $"Queue this job for about {Format.Money(estimate.EstimatedCost)}?");
            var job = await CreateWithRetriesAsync(session, request, parse.GetValue(key) ?? Guid.NewGuid().ToString(), ct);
            if (parse.GetValue(follow))
            {
                terminal.Note($"Queued job {job.Value.Id}. Following it (Ctrl+C stops following, not the job)…");
                return await JobsCommands.FollowAsync(session, job.Value.Id, ct);
            }

            if (terminal.Json)
            {
                terminal.WriteJson(job.Raw);
            }

            terminal.Line($"Queued job [bold]{job.Value.Id}[/] ({Terminal.Esc(job.Value.Status)}).");
            terminal.Note($"Follow it: lora jobs follow {job.Value.Id}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// A create that got no answer may still have made the job: it is sent again with the same
    /// Idempotency-Key, so the server answers that job instead of making a second one.
    /// </summary>
    private static async Task<ApiData<Job>> CreateWithRetriesAsync(Session session, JobRequest request, string idempotencyKey, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await session.Api.CreateJobAsync(request, idempotencyKey, ct);
            }
            catch (Exception e) when (attempt < 3 && (e is ServerUnreachableException || e is ApiException { Status: >= 500 or 408 or 429 }))
            {
                session.Terminal.Note($"Creating the job failed ({(e is ApiException api ? api.Problem.Error : e.Message)}); trying again with the same Idempotency-Key.");
                await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
            }
        }
    }

    /// <summary>The estimate as a table, with the hyperparameters the job would get (the preset's, with the options given).</summary>
    private static async Task<Table> TableAsync(Session session, JobRequest request, Estimate estimate, CancellationToken ct)
    {
        Hyperparameters? preset = null;
        try
        {
            preset = (await session.Api.PresetsAsync(ct)).Value.Presets.FirstOrDefault(p => p.Id == request.PresetId)?.Hyperparameters;
        }
        catch (ApiException)
        {
            // only for display: the estimate itself is what matters
        }

        var asked = request.Hyperparameters;
        var effective = preset is null ? null : new Hyperparameters(
            asked?.BaseModel ?? preset.BaseModel, asked?.LearningRate ?? preset.LearningRate, asked?.BatchSize ?? preset.BatchSize,
            asked?.Epochs ?? preset.NumEpochs, asked?.Rank ?? preset.LoraRank, asked?.Alpha ?? preset.LoraAlpha, asked?.Dropout ?? preset.LoraDropout,
            asked?.WarmupSteps ?? preset.WarmupSteps, asked?.WeightDecay ?? preset.WeightDecay);

        var table = new Table().Border(TableBorder.Rounded).Title("Estimate").AddColumn("").AddColumn("").HideHeaders();
        void Row(string name, string value) => table.AddRow(Terminal.Esc(name), Terminal.Esc(value));
        var details = estimate.TrainingDetails;
        Row("dataset", $"{details?.DatasetName ?? "?"} ({request.DatasetId})");
        Row("preset", request.PresetId ?? "custom");
        if (effective is not null)
        {
            Row("base model", effective.BaseModel ?? "—");
            Row("hyperparameters", Describe(effective));
        }

        Row("gpu", $"{request.GpuConfig.Type} × {request.GpuConfig.Count} at {Format.Money(estimate.HourlyRate)}/h");
        if (details is not null)
        {
            Row("steps", $"{details.TotalSteps.ToString("N0", CultureInfo.InvariantCulture)} ({details.StepsPerEpoch.ToString("N0", CultureInfo.InvariantCulture)} per epoch)");
            if (details.EstimatedThroughputTokensPerSec is { } throughput)
            {
                Row("throughput", $"{throughput.ToString("N0", CultureInfo.InvariantCulture)} tokens/s");
            }
        }

        Row("duration", Format.Hours(estimate.EstimatedDurationHours));
        if (estimate.CostBreakdown is { } breakdown)
        {
            Row("compute", Format.Money(breakdown.Compute));
            Row("storage", Format.Money(breakdown.Storage));
        }

        table.AddRow("[bold]total[/]", $"[bold]{Terminal.Esc(Format.Money(estimate.EstimatedCost))}[/]");
        if (estimate.BudgetRemaining is { } remaining)
        {
            Row("budget left this month", Format.Money(remaining));
        }

        if (estimate.AllowedToProceed is false)
        {
            table.AddRow("[red]allowed[/]", $"[red]no: {Terminal.Esc(estimate.ProceedBlockedReason ?? "no reason given")}[/]");
        }

        return table;
    }

    public static string Describe(Hyperparameters? h) => h is null ? "—" : string.Join(", ", new[]
    {
        $"epochs {h.NumEpochs}", $"batch {h.BatchSize}", $"lr {h.LearningRate?.ToString(CultureInfo.InvariantCulture)}",
        $"rank {h.LoraRank}", $"alpha {h.LoraAlpha}", $"dropout {h.LoraDropout?.ToString(CultureInfo.InvariantCulture)}",
        h.WarmupSteps is { } w ? $"warm-up {w}" : null, h.WeightDecay is { } wd ? $"weight decay {wd.ToString(CultureInfo.InvariantCulture)}" : null,
    }.Where(s => s is not null));

    private static Command Presets()
    {
        var command = new Command("presets", Help.Text("The training presets with their hyperparameters, and the base models.", "lora presets"));
        command.SetHandler(async (_, session, ct) =>
        {
            var presets = await session.Api.PresetsAsync(ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(presets.Raw);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("preset").AddColumn("name").AddColumn("hyperparameters").AddColumn("what for");
            foreach (var p in presets.Value.Presets)
            {
                table.AddRow(Terminal.Esc(p.Id), Terminal.Esc(p.Name), Terminal.Esc(Describe(p.Hyperparameters)), Terminal.Esc(p.Description));
            }

            terminal.Render(table);
            terminal.Plain("base models: " + string.Join(", ", presets.Value.BaseModels ?? []));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Gpus()
    {
        var command = new Command("gpus", Help.Text("The GPU types with their price per GPU-hour, throughput and memory.", "lora gpus"));
        command.SetHandler(async (_, session, ct) =>
        {
            var gpus = await session.Api.GpusAsync(ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(gpus.Raw);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("gpu").AddColumn("name").AddColumn(new TableColumn("per GPU-hour").RightAligned())
                .AddColumn(new TableColumn("tokens/s").RightAligned()).AddColumn(new TableColumn("memory").RightAligned());
            foreach (var g in gpus.Value.Gpus)
            {
                table.AddRow(Terminal.Esc(g.Id), Terminal.Esc(g.Name), Format.Money(g.PricePerGpuHour), Format.Count(g.ThroughputTokensPerSecond), g.MemoryGb is { } m ? $"{m} GB" : "—");
            }

            terminal.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
