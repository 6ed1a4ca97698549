using System.CommandLine;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Rendering;
using Spectre.Console;

namespace LoraPipeline.Cli.Commands;

/// <summary>--page and --limit, as the API takes them (page from 1, limit 1-100), and the line under a list.</summary>
public static class Paging
{
    public static (Option<int> Page, Option<int> Limit) Options(int defaultLimit = 20)
    {
        var page = new Option<int>("--page") { Description = "Page number, from 1", DefaultValueFactory = _ => 1 };
        var limit = new Option<int>("--limit") { Description = "Rows per page, 1-100", DefaultValueFactory = _ => defaultLimit };
        return (page, limit);
    }

    public static void Write(Terminal terminal, Table table, int rows, Pagination? pagination, string what, string? whenEmpty)
    {
        if (rows == 0 && (pagination is null || pagination.Total == 0))
        {
            terminal.Plain($"No {what} yet." + (whenEmpty is null ? "" : $" ({whenEmpty})"));
            return;
        }

        terminal.Render(table);
        if (pagination is { } p)
        {
            var more = p.Page < p.TotalPages ? $"; next: --page {p.Page + 1}" : "";
            terminal.Note($"page {p.Page} of {Math.Max(1, p.TotalPages)}, {Format.Count(p.Total)} {what} in all{more}");
        }
    }
}
