using LoraPipeline.Cli.Api;
using Spectre.Console;

namespace LoraPipeline.Cli.Rendering;

/// <summary>A dataset's validation report for a person: counts, token statistics, warnings, the first errors with what to do.</summary>
public static class DatasetReport
{
    public static void Write(Terminal terminal, Dataset d, int maxErrors)
    {
        var status = d.Status switch
        {
            "ready" => "[green]ready[/]",
            "error" => "[red]error[/]",
            _ => Terminal.Esc(d.Status),
        };
        terminal.Line($"[bold]{Terminal.Esc(d.Name)}[/]  ({d.Id})");
        terminal.Line($"status {status} · training ready {(d.TrainingReady ? "yes" : "no")} · format {Terminal.Esc(d.Format)} · file {Terminal.Esc(d.FileName)} ({Format.Bytes(d.FileSize)})");

        var report = d.ValidationReport;
        var counts = new Table().Border(TableBorder.Rounded).AddColumn("count").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => counts.AddRow(Terminal.Esc(name), Terminal.Esc(value));
        if (report is not null)
        {
            Row("valid examples", Format.Count(report.ExampleCount));
        }

        Row("training pairs", Format.Count(d.TotalTrainingPairs));
        Row("validation pairs", Format.Count(d.TotalValidationPairs));
        Row("total tokens", Format.Count(d.TotalTokens));
        if (report is not null)
        {
            Row("billable tokens", Format.Count(report.BillableTokens));
            Row($"over the maximum length ({Format.Int(report.MaxSequenceLength)} tokens)", Format.Count(report.ExamplesOverMaxLength));
            Row("without a system message", Format.Count(report.ExamplesMissingSystem));
        }

        Row("messages per example (mean)", Format.Number(d.AvgTurnsPerConversation));
        Row("tokens per message (mean)", Format.Number(d.AvgTokensPerTurn));
        Row("errors", Format.Count(d.ErrorCount));
        Row("warnings", Format.Count(d.WarningCount));
        terminal.Render(counts);

        if (report is { ExampleCount: > 0 })
        {
            foreach (var (title, distribution) in new[]
            {
                ("Tokens per example", report.TokensPerExample),
                ("Assistant tokens per example", report.AssistantTokensPerExample),
                ("Messages per example", report.MessagesPerExample),
            })
            {
                if (distribution is not null)
                {
                    terminal.Plain("");
                    foreach (var line in Histogram.Render(title, distribution, report.ExampleCount, terminal.Live))
                    {
                        terminal.Plain(line);
                    }
                }
            }
        }

        if (d.WarningCount > 0)
        {
            terminal.Plain("");
            terminal.Line($"[yellow]Warnings[/] ({Format.Count(d.WarningCount)}, they do not block training): {Terminal.Esc(Counts(d.WarningCounts))}");
            terminal.Render(Issues(d.Warnings ?? [], 5));
        }

        if (d.ErrorCount > 0)
        {
            terminal.Plain("");
            terminal.Line($"[red]Errors[/] ({Format.Count(d.ErrorCount)}): {Terminal.Esc(Counts(d.ErrorCounts))}");
            terminal.Render(Issues(d.ValidationErrors ?? [], maxErrors));
            if (d.ErrorCount > Math.Min(maxErrors, d.ValidationErrors?.Count ?? 0))
            {
                terminal.Note($"Every error, page by page: lora datasets errors {d.Id}");
            }
        }
    }

    public static Table Issues(IEnumerable<ValidationIssue> issues, int max)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("line").RightAligned()).AddColumn("code").AddColumn("problem").AddColumn("what to do");
        foreach (var issue in issues.Take(max))
        {
            table.AddRow(Format.Int(issue.Line), Terminal.Esc(issue.Code), Terminal.Esc(issue.Error), Terminal.Esc(issue.Suggestion));
        }

        return table;
    }

    private static string Counts(IReadOnlyDictionary<string, long>? counts) =>
        counts is null ? "" : string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {Format.Count(c.Value)}"));
}
