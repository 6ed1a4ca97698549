using System.Globalization;
using LoraPipeline.Platform.Http;

namespace LoraPipeline.Billing.Costs;

/// <summary>
/// The days a cost query covers, inclusive, in UTC. As E06: <c>week</c>, <c>month</c> (default) and
/// <c>year</c> are the last 7, 30 and 365 days up to today; <c>start_date</c> and <c>end_date</c>
/// (together, YYYY-MM-DD, at most 5 years apart) override the period.
/// </summary>
public sealed record CostPeriod(string Name, DateOnly StartDate, DateOnly EndDate)
{
    public const int MaxDays = 5 * 366;

    public static CostPeriod Resolve(string? period, string? startDate, string? endDate, DateOnly today)
    {
        var errors = new FieldErrors();
        if (startDate is not null || endDate is not null)
        {
            var start = ParseDate(startDate, "start_date", errors);
            var end = ParseDate(endDate, "end_date", errors);
            if (errors.Any)
            {
                throw ApiProblems.Validation(errors);
            }

            if (end < start)
            {
                errors.Add("end_date", "must not be before start_date");
            }
            else if (end.DayNumber - start.DayNumber >= MaxDays)
            {
                errors.Add("end_date", $"must be at most {MaxDays} days after start_date");
            }

            return errors.Any ? throw ApiProblems.Validation(errors) : new CostPeriod("custom", start, end);
        }

        var days = period switch
        {
            null or "" or "month" => 30,
            "week" => 7,
            "year" => 365,
            _ => 0,
        };
        if (days == 0)
        {
            errors.Add("period", "must be week, month (default) or year; or give start_date and end_date");
            throw ApiProblems.Validation(errors);
        }

        return new CostPeriod(period is null or "" ? "month" : period, today.AddDays(1 - days), today);
    }

    private static DateOnly ParseDate(string? value, string field, FieldErrors errors)
    {
        if (value is null)
        {
            errors.Add(field, "is required when the other date is given");
            return default;
        }

        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            errors.Add(field, $"must be a date as YYYY-MM-DD (got '{value}')");
        }

        return date;
    }
}
