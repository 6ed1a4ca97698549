using System.Net;
using System.Text;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Follow;
using LoraPipeline.Cli.Rendering;

namespace LoraPipeline.Cli.Tests;

/// <summary>The pure parts: the SSE format, problem documents, sparklines and bars.</summary>
public sealed class ParsingAndRenderingTests
{
    private static async Task<List<ServerSentEvent>> Read(string text)
    {
        var events = new List<ServerSentEvent>();
        await foreach (var e in ServerSentEventReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task server_sent_events_join_data_lines_carry_the_id_and_skip_comments()
    {
        var events = await Read(": hello\n\nevent: job\nid: 7\ndata: {\"a\":\ndata:1}\n\ndata: second\r\n\r\nretry: 1500\nevent: x\ndata\n\n");
        Assert.Equal(3, events.Count);
        Assert.Equal(new ServerSentEvent("job", "{\"a\":\n1}", "7", null), events[0]);
        Assert.Equal(new ServerSentEvent("message", "second", "7", null), events[1]); // the id carries over; no event: means "message"
        Assert.Equal(new ServerSentEvent("x", "", "7", 1500), events[2]);
    }

    [Fact]
    public async Task an_event_cut_off_by_the_end_of_the_stream_is_dropped()
    {
        var events = await Read("\uFEFFdata: whole\n\nevent: job\ndata: {\"half\":");
        Assert.Equal(["whole"], events.Select(e => e.Data));
    }

    [Fact]
    public async Task an_id_with_a_nul_is_ignored_and_an_event_without_data_is_not_dispatched()
    {
        var events = await Read("id: 1\nevent: job\n\nid: 2\0\ndata: a\n\n");
        Assert.Single(events);
        Assert.Equal("1", events[0].Id);
    }

    [Fact]
    public void a_problem_document_gives_its_error_its_details_and_every_field_error()
    {
        var problem = ProblemDocument.Parse(HttpStatusCode.BadRequest, """
            {"title":"Validation failed","status":400,"detail":"hyperparameters.batch_size must be between 1 and 64 (got 500)",
             "error":"Validation failed","details":{"hyperparameters.batch_size":["must be between 1 and 64 (got 500)"]}}
            """);
        Assert.Equal("Validation failed\n  hyperparameters.batch_size: must be between 1 and 64 (got 500)", problem.Describe());

        var conflict = ProblemDocument.Parse(HttpStatusCode.Conflict, """{"error":"Job cannot be cancelled","details":{"status":"completed"},"detail":"Only running jobs."}""");
        Assert.Equal("Job cannot be cancelled: Only running jobs.", conflict.Describe());

        var proxy = ProblemDocument.Parse(HttpStatusCode.BadGateway, "<html><body>Bad gateway</body></html>");
        Assert.Equal("HTTP 502 Bad Gateway: <html><body>Bad gateway</body></html>", proxy.Describe());
    }

    [Fact]
    public void only_our_own_404s_name_a_missing_resource()
    {
        Assert.True(ProblemDocument.Parse(HttpStatusCode.NotFound, """{"error":"Job not found","details":"No job with that id exists for this account."}""").NamesMissingResource);
        Assert.False(ProblemDocument.Parse(HttpStatusCode.NotFound, """{"title":"Not Found","error":"Not Found","details":"Not Found"}""").NamesMissingResource);
    }

    [Fact]
    public void a_sparkline_spans_the_blocks_from_lowest_to_highest()
    {
        Assert.Equal("█▆▃▂▁", Sparkline.Render([2.0, 1.5, 1.0, 0.8, 0.5], 10));
        Assert.Equal("▁█", Sparkline.Render([9, 9, 1.0, 2.0], 2)); // the last points only
        Assert.Equal("▅▅▅", Sparkline.Render([1, 1, 1], 10));
        Assert.Equal("", Sparkline.Render([], 10));
    }

    [Fact]
    public void bars_are_proportional_and_ascii_off_a_terminal()
    {
        var lines = Bars.Render([("min", 10m, "10"), ("max", 40m, "40")], 8, unicode: false);
        Assert.Equal(["  min |##       10", "  max |######## 40"], lines);
        Assert.Equal("[#####.....] 50.0%", Bars.Gauge(50m, 10, unicode: false));
        Assert.Equal("██▌", Bars.Bar(0.25, 10, unicode: true));
    }

    [Fact]
    public void the_job_state_keeps_each_metric_point_once_and_replaces_a_revised_one()
    {
        var job = Job("running", 40m, DateTimeOffset.UtcNow.AddSeconds(-40));
        var state = new JobState(job);
        state.Apply(job, [Point(1, 2.0, null), Point(2, 1.8, null)]);
        state.Apply(job, [Point(1, 2.0, null), Point(2, 1.8, 1.9), Point(3, 1.7, null)]); // a reconnect sends the points again
        Assert.Equal([1, 2, 3], state.Points.Select(p => p.Step));
        Assert.Equal(1.9, state.Points.ElementAt(1).ValidationLoss);
        var left = state.Remaining(DateTimeOffset.UtcNow)!.Value;
        Assert.InRange(left.TotalSeconds, 55, 65); // 40 s for 40%: about 60 s for the other 60%
    }

    [Fact]
    public void a_jobs_cost_is_set_against_the_estimates_gpu_time_with_the_whole_beside_it()
    {
        var job = Job("completed", 1m, DateTimeOffset.UtcNow);
        Assert.Equal("estimate $0.50 ($1.00 with the model's storage)", JobView.Estimate(job));
        Assert.Equal("estimate $1.00", JobView.Estimate(job with { EstimatedComputeCost = null })); // a server without the field
        Assert.Equal("estimate $1.00", JobView.Estimate(job with { EstimatedComputeCost = 1m }));
    }

    private static MetricPoint Point(int step, double loss, double? validation) => new(step, 1, loss, validation, 0.0001, null, null, null, null);

    private static Job Job(string status, decimal progress, DateTimeOffset started) => new(
        Guid.NewGuid(), Guid.NewGuid(), "d", null, "fast", null, null, status, status, progress, 1, 1, 1, 10, null, null, started, null, null,
        0.01m, 1m, 0.5m, 0.1m, null, 3.5m, null, 0, null, null, null, DateTimeOffset.UtcNow);
}
