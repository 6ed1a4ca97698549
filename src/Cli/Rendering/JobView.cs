using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Follow;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LoraPipeline.Cli.Rendering;

/// <summary>How a job reads while it is followed: a live panel on a terminal, one plain line per change elsewhere.</summary>
public static class JobView
{
    public const int SparklineWidth = 40;

    public static string StatusMarkup(string status) => status switch
    {
        "completed" => "[green]completed[/]",
        "failed" => "[red]failed[/]",
        "cancelled" => "[yellow]cancelled[/]",
        "running" => "[blue]running[/]",
        "paused" => "[yellow]paused[/]",
        "recovering" => "[yellow]recovering[/]",
        _ => Terminal.Esc(status),
    };

    /// <summary>The live panel: progress bar, step and epoch, loss with its sparkline, cost so far, time left.</summary>
    public static IRenderable Live(JobState state, DateTimeOffset now)
    {
        var job = state.Job;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow("[bold]job[/]", $"{job.Id}  {StatusMarkup(job.Status)}{(job.CurrentStage is { } stage && stage != job.Status ? $" ({Terminal.Esc(stage)})" : "")}");
        grid.AddRow("dataset", Terminal.Esc(job.DisplayDatasetName));
        grid.AddRow("progress", Terminal.Esc(Bars.Gauge(job.Progress, 40, unicode: true)));
        grid.AddRow("step", $"{Format.Int(job.CurrentStep)} of {Format.Int(job.TotalSteps)} · epoch {Format.Int(job.CurrentEpoch)} of {Format.Int(job.TotalEpochs)}");
        grid.AddRow("loss", Terminal.Esc(Loss(job, state)));
        var points = state.Points.Select(p => p.TrainingLoss).ToList();
        if (points.Count > 1)
        {
            grid.AddRow("", $"[cyan]{Sparkline.Render(points, SparklineWidth)}[/] [grey](last {Math.Min(points.Count, SparklineWidth)} points)[/]");
        }

        if (job.IsTerminal)
        {
            grid.AddRow("cost", Terminal.Esc($"{Format.Money(job.Cost)} (final) · {Estimate(job)}"));
            return new Panel(grid).Header("lora jobs follow").Border(BoxBorder.Rounded);
        }

        grid.AddRow("cost", Terminal.Esc($"{Format.Money(job.Cost)} so far · {Estimate(job)}"));
        grid.AddRow("time left", Terminal.Esc(state.Remaining(now) is { } left ? "about " + Format.Duration(left) : "—"));
        if (state.Mode == "polling")
        {
            grid.AddRow("", "[grey]polling (the live stream is not available)[/]");
        }

        grid.AddRow("", "[grey]Ctrl+C stops following; the job goes on[/]");
        return new Panel(grid).Header("lora jobs follow").Border(BoxBorder.Rounded);
    }

    /// <summary>One line for a log or a pipe: status, step, epoch, progress, loss, cost, time left.</summary>
    public static string Line(JobState state, DateTimeOffset now)
    {
        var job = state.Job;
        var left = state.Remaining(now) is { } span ? Format.Duration(span) : "—";
        return $"{job.Status,-12} step {job.CurrentStep}/{job.TotalSteps}  epoch {job.CurrentEpoch}/{job.TotalEpochs}  {Format.Percent(job.Progress),6}  " +
               $"loss {Format.Number(job.CurrentMetrics?.TrainingLoss)}  cost {Format.Money(job.Cost)}  left {left}";
    }

    /// <summary>
    /// What a job's cost is set against: the estimate's GPU time, since the model's storage line is billed to the
    /// model once it is stored (a job billed exactly its estimate read "$1.76 · estimate $2.26" before).
    /// </summary>
    public static string Estimate(Job job) =>
        job.EstimatedComputeCost is { } compute && job.EstimatedTotalCost is { } total && total > compute
            ? $"estimate {Format.Money(compute)} ({Format.Money(total)} with the model's storage)"
            : $"estimate {Format.Money(job.EstimatedTotalCost)}";

    public static string Loss(Job job, JobState? state)
    {
        var last = state?.Points.LastOrDefault();
        var training = job.CurrentMetrics?.TrainingLoss ?? last?.TrainingLoss;
        var validation = job.CurrentMetrics?.ValidationLoss ?? state?.Points.LastOrDefault(p => p.ValidationLoss is not null)?.ValidationLoss;
        return training is null ? "—" : $"training {Format.Number(training)}" + (validation is null ? "" : $" · validation {Format.Number(validation)}");
    }
}
