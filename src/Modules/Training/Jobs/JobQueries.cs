using System.Globalization;
using System.Security.Claims;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;
using Marten.Pagination;
using Wolverine.Http;

namespace LoraPipeline.Training.Jobs;

public sealed record JobList(IReadOnlyList<JobView> Jobs, Pagination Pagination);

/// <summary>
/// E04's job detail: the job, its last 100 metric points (oldest first) and its cost records.
/// <paramref name="Revision"/> is the number of events the job has had: a later answer (or server-sent
/// event) about the same job has a higher one, so a client can drop an update older than what it shows.
/// </summary>
public sealed record JobDetails(JobView Job, IReadOnlyList<JobMetricPoint> Metrics, IReadOnlyList<object> CostRecords, JobAsOf? AsOf, long Revision);

/// <summary>Set when the job was rebuilt from its history as of a version or a time.</summary>
public sealed record JobAsOf(long? Version, DateTimeOffset? Timestamp);

public static class ListJobsEndpoint
{
    /// <summary>The caller's jobs, newest first, with their dataset's name, format and pairs.</summary>
    [WolverineGet("/api/jobs", OperationId = "ListJobs"), Tags("Jobs")]
    public static async Task<ApiResponse<JobList>> List(
        IQuerySession session, HttpRequest request, int? page, int? limit, JobStatus? status, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var (p, l) = PageRequest.Resolve(page, limit, errors);
        errors.RequireName<JobStatus>(request, "status");
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var query = session.Query<TrainingJob>().AsQueryable();
        if (status is { } wanted)
        {
            query = query.Where(j => j.Status == wanted);
        }

        var jobs = await query.OrderByDescending(j => j.CreatedAt).ToPagedListAsync(p, l, ct);
        return Api.Ok(new JobList(jobs.Select(j => JobView.From(j, clock.GetUtcNow())).ToList(), Pagination.Of(p, l, jobs.TotalItemCount)));
    }
}

public static class GetJobEndpoint
{
    public const int MetricPoints = 100;

    /// <summary>
    /// One job with its recent metrics and cost records. <c>?as_of=</c> rebuilds the job from its
    /// events as it was at a stream version (a number) or a time (ISO 8601).
    /// </summary>
    [WolverineGet("/api/jobs/{id}", OperationId = "GetJob"), Tags("Jobs")]
    public static async Task<ApiResponse<JobDetails>> Get(
        Guid id, string? as_of, ClaimsPrincipal caller, IQuerySession session, IJobCostRecords costs, TimeProvider clock, CancellationToken ct)
    {
        var asOf = ParseAsOf(as_of);
        var job = asOf switch
        {
            null => await session.LoadAsync<TrainingJob>(id, ct),
            { Version: { } version } => await session.Events.AggregateStreamAsync<TrainingJob>(id, version: version, token: ct),
            { Timestamp: { } at } => await session.Events.AggregateStreamAsync<TrainingJob>(id, timestamp: at, token: ct),
            _ => null,
        };
        if (job is null)
        {
            if (asOf is null || await session.LoadAsync<TrainingJob>(id, ct) is not { } current)
            {
                throw ApiProblems.NotFound("Job");
            }

            throw asOf.Version is { } past && past > current.Version
                ? ApiProblems.BadRequest("Nothing at that point", $"as_of={past} is past the end of the job's history: its last version is {current.Version}.")
                : ApiProblems.BadRequest("Nothing at that point", "The job did not exist yet at the time given in as_of.");
        }

        var recent = await session.Query<JobMetricPoint>()
            .Where(p => p.JobId == id && p.Step <= job.LastMetricStep)
            .OrderByDescending(p => p.Step)
            .Take(MetricPoints)
            .ToListAsync(ct);
        var records = asOf is null ? await costs.ForJobAsync(caller.UserId(), id, ct) : [];
        var view = asOf is null ? JobView.From(job, clock.GetUtcNow(), recent) : JobView.From(job, null, recent);
        return Api.Ok(new JobDetails(view, recent.Reverse().ToList(), records, asOf, job.Version));
    }

    private static JobAsOf? ParseAsOf(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0)
        {
            return new JobAsOf(version, null);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return new JobAsOf(null, at);
        }

        throw ApiProblems.BadRequest("Invalid as_of", "as_of must be a stream version (1, 2, ...) or an ISO 8601 time such as 2026-11-25T10:00:00Z.");
    }
}
