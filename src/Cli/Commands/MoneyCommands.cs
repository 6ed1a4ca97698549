using System.CommandLine;
using System.Globalization;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Rendering;
using Spectre.Console;

namespace LoraPipeline.Cli.Commands;

/// <summary>lora costs, lora budget [set|clear], lora notifications [read-all|read].</summary>
public static class MoneyCommands
{
    public static IEnumerable<Command> Build() => [Costs(), Budget(), Notifications()];

    private static Command Costs()
    {
        var period = new Option<string?>("--period") { Description = "week, month (the default) or year: the last 7, 30 or 365 days up to today" };
        period.AcceptOnlyFromAmong("week", "month", "year");
        var from = new Option<DateOnly?>("--from") { Description = "First day (YYYY-MM-DD), with --to, instead of --period" };
        var to = new Option<DateOnly?>("--to") { Description = "Last day (YYYY-MM-DD), inclusive" };
        var command = new Command("costs", Help.Text("What you spent: the total, by type, and a bar per day.", "lora costs", "lora costs --period year", "lora costs --from 2026-11-01 --to 2026-11-30"))
        {
            period, from, to,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(from) is null) != (result.GetValue(to) is null))
            {
                result.AddError("--from and --to go together: give both, or --period.");
            }
            else if (result.GetValue(from) is not null && result.GetValue(period) is not null)
            {
                result.AddError("Give either --period or --from/--to, not both.");
            }
        });
        command.SetHandler(async (parse, session, ct) =>
        {
            static string? Day(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var report = await session.Api.CostsAsync(parse.GetValue(period), Day(parse.GetValue(from)), Day(parse.GetValue(to)), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(report.Raw);
                return ExitCodes.Ok;
            }

            var r = report.Value;
            terminal.Line($"[bold]{Terminal.Esc(Format.Money(r.TotalCost))}[/] from {Format.Date(r.Period.StartDate)} to {Format.Date(r.Period.EndDate)} ({Terminal.Esc(r.Period.Name)})");
            var byType = new Table().Border(TableBorder.Rounded).AddColumn("type").AddColumn(new TableColumn("amount").RightAligned());
            foreach (var (type, amount) in r.CostByType.OrderByDescending(t => t.Value))
            {
                byType.AddRow(Terminal.Esc(type), Format.Money(amount));
            }

            terminal.Render(byType);
            var days = r.ChartData.Where(d => d.Amount != 0).ToList();
            if (days.Count == 0)
            {
                terminal.Plain("Nothing spent in this period.");
            }
            else
            {
                terminal.Plain("By day:");
                foreach (var line in Bars.Render(days.Select(d => (Format.Date(d.Date), d.Amount, Format.Money(d.Amount))).ToList(), 40, terminal.Live))
                {
                    terminal.Plain(line);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Budget()
    {
        var command = new Command("budget", Help.Text("Your monthly budget and this month's use of it (recorded spending plus what running jobs accrue).",
            "lora budget", "lora budget set 250 --hard", "lora budget clear"));
        command.SetHandler(async (_, session, ct) => Show(session.Terminal, await session.Api.BudgetAsync(ct)));

        var amount = new Argument<decimal>("amount") { Description = "Dollars per calendar month (UTC), e.g. 250 or 99.50" };
        var hard = new Option<bool>("--hard") { Description = "Hard limit: refuse jobs whose estimate would pass it, and cancel running ones at the limit" };
        var set = new Command("set", Help.Text("Set the monthly budget: a notification at 80% and at 100%; with --hard, jobs are held to it.", "lora budget set 250", "lora budget set 100 --hard"))
        {
            amount, hard,
        };
        set.SetHandler(async (parse, session, ct) => Show(session.Terminal, await session.Api.SetBudgetAsync(parse.GetValue(amount), parse.GetValue(hard), ct)));

        var clear = new Command("clear", Help.Text("Remove the monthly budget.", "lora budget clear"));
        clear.SetHandler(async (_, session, ct) => Show(session.Terminal, await session.Api.SetBudgetAsync(null, false, ct)));

        command.Subcommands.Add(set);
        command.Subcommands.Add(clear);
        return command;
    }

    private static int Show(Terminal terminal, ApiData<BudgetUsage> usage)
    {
        if (terminal.Json)
        {
            terminal.WriteJson(usage.Raw);
            return ExitCodes.Ok;
        }

        var b = usage.Value;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string name, string value) => grid.AddRow(Terminal.Esc(name), Terminal.Esc(value));
        Row("month", b.Month);
        Row("budget", b.MonthlyLimit is { } limit ? $"{Format.Money(limit)}{(b.HardLimit ? " (hard limit: jobs are held to it)" : " (notifications only)")}" : "none (lora budget set AMOUNT)");
        Row("spent", Format.Money(b.Spent));
        Row("accruing", $"{Format.Money(b.Accruing)} (running jobs)");
        Row("used", Format.Money(b.Used));
        if (b.PercentUsed is { } percent)
        {
            Row("", Bars.Gauge(percent, 30, terminal.Live));
        }

        var status = b.Status switch
        {
            "exceeded" => "[red]exceeded[/]",
            "warning" => "[yellow]warning[/]",
            "ok" => "[green]ok[/]",
            _ => Terminal.Esc(b.Status),
        };
        grid.AddRow("status", status);
        terminal.Render(grid);
        return ExitCodes.Ok;
    }

    private static Command Notifications()
    {
        var unread = new Option<bool>("--unread") { Description = "Only unread ones" };
        var limit = new Option<int>("--limit") { Description = "How many, 1-100", DefaultValueFactory = _ => 20 };
        var command = new Command("notifications", Help.Text("Your notifications, newest first: datasets ready, jobs started and ended, models stored, budget warnings.",
            "lora notifications --unread", "lora notifications read-all"))
        {
            unread, limit,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var list = await session.Api.NotificationsAsync(parse.GetValue(unread), parse.GetValue(limit), ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(list.Raw);
                return ExitCodes.Ok;
            }

            if (list.Value.Notifications.Count == 0)
            {
                terminal.Plain(parse.GetValue(unread) ? "No unread notifications." : "No notifications yet.");
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("time").AddColumn("priority").AddColumn("title").AddColumn("message").AddColumn(new TableColumn("id").NoWrap());
            foreach (var n in list.Value.Notifications)
            {
                table.AddRow(n.Read ? " " : "•", Format.Time(n.CreatedAt), Terminal.Esc(n.Priority), Terminal.Esc(n.Title), Terminal.Esc(n.Message), n.Id.ToString());
            }

            terminal.Render(table);
            terminal.Note($"{list.Value.UnreadCount} unread" + (list.Value.UnreadCount > 0 ? "; mark them read: lora notifications read-all" : ""));
            return ExitCodes.Ok;
        });

        var readAll = new Command("read-all", Help.Text("Mark every notification read.", "lora notifications read-all"));
        readAll.SetHandler(async (_, session, ct) =>
        {
            var result = await session.Api.ReadAllNotificationsAsync(ct);
            if (session.Terminal.Json)
            {
                session.Terminal.WriteJson(result.Raw);
            }
            else
            {
                session.Terminal.Plain($"Marked {result.Value.Marked} read; {result.Value.UnreadCount} unread.");
            }

            return ExitCodes.Ok;
        });

        var id = DatasetsCommands.IdArgument("notification");
        var read = new Command("read", Help.Text("Mark one notification read.", "lora notifications read 0c1d…")) { id };
        read.SetHandler(async (parse, session, ct) =>
        {
            var result = await session.Api.ReadNotificationAsync(parse.GetValue(id), ct);
            if (session.Terminal.Json)
            {
                session.Terminal.WriteJson(result.Raw);
            }
            else
            {
                session.Terminal.Plain($"Marked read: {result.Value.Title}");
            }

            return ExitCodes.Ok;
        });

        command.Subcommands.Add(readAll);
        command.Subcommands.Add(read);
        return command;
    }
}
