using System.Globalization;
using LoraPipeline.Bench.Jobs;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Bench.Reliability;

/// <summary>
/// The reliability suite at full size (README "Reliability"): the scenarios the test suite runs
/// small, each printing one Markdown table of what was promised against what happened.
/// </summary>
public static class ReliabilityBenchmarks
{
    public static async Task<int> CrashAsync(string[] args)
    {
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 200);
        var kills = JobCreationBenchmark.Option(args, "--kills", 5);
        var preemption = 0.25;
        var outcome = await CrashScenario.RunAsync(ConnectionString(), jobs, kills, jitter: TimeSpan.FromSeconds(3), log: Console.Error.WriteLine,
            preemptionRate: preemption);
        var g = outcome.Guarantees;
        PrintTable(
            ("jobs in flight / SIGKILLs at random moments / share preempted once", $"{jobs} / {kills} / {preemption:P0}"),
            ("jobs recovered from a checkpoint / restarts on the cluster", $"{g.RecoveredJobs} / {g.ClusterResumes}"),
            ("compute billed / sum of final costs", $"${g.ComputeBilled:0.00} / ${g.FinalCosts:0.00}"),
            ("ended completed, with their model", $"{g.Completed} of {jobs}"),
            ("jobs with exactly one terminal event (terminal events in all)", $"{g.JobsWithOneTerminalEvent} ({g.TerminalEvents})"),
            ("cluster jobs (submit calls seen by the cluster)", $"{g.ClusterJobs} ({g.SubmitCalls})"),
            ("compute cost records / storage records / models", $"{g.ComputeRecords} / {g.StorageRecords} / {g.Models}"),
            ("jobs with exactly one notification per step", $"{g.JobsWithOneNotificationPerStep}"),
            ("datasets still ready", $"{g.ReadyDatasets} of 1"),
            ("every guarantee holds", Yes(g.AllHold(jobs, jobs, 1))),
            ("wall time", $"{outcome.Duration.TotalSeconds:0} s"));
        return g.AllHold(jobs, jobs, 1) ? 0 : 1;
    }

    public static async Task<int> FaultsAsync(string[] args)
    {
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 200);
        var outcome = await FaultScenario.RunAsync(ConnectionString(), jobs);
        var g = outcome.Guarantees;
        var accepted = outcome.Jobs.Count(j => j.Accepted);
        var byExpected = string.Join(", ", outcome.Jobs.GroupBy(j => j.Expected).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Count()}"));
        var wrong = outcome.Jobs.Where(j => !j.IsRight).Take(3).Select(j => $"{j.Id}: expected {j.Expected}, was {j.Actual}");
        var holds = outcome.Right == jobs && g.AllHold(jobs, accepted, 1);
        PrintTable(
            ("jobs; faults injected", $"{jobs}; 20% submit 5xx, 20% status 5xx, 5% status time-outs, 5% lost, 5% GPU failures, 20% model download 503, 10% preempted once"),
            ("jobs recovered from a checkpoint / restarts on the cluster / compute billed vs final costs", $"{g.RecoveredJobs} / {g.ClusterResumes} / ${g.ComputeBilled:0.00} vs ${g.FinalCosts:0.00}"),
            ("what the cluster's own record says each job became", byExpected),
            ("jobs that ended in that state with its reason", $"{outcome.Right} of {jobs} ({100.0 * outcome.Right / jobs:0.0}%)"),
            ("faults the simulator injected (answered)", string.Join(", ", outcome.InjectedFaults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}"))),
            ("failed submit attempts retried (highest attempt)", $"{outcome.FailedSubmitAttempts} ({outcome.MaxSubmitAttempt})"),
            ("failed status checks retried (most in a row)", $"{outcome.FailedStatusChecks} ({outcome.MaxConsecutiveStatusFailures})"),
            ("model collection attempts failed and retried (downloads retry 3 times first)", $"{outcome.FailedModelCollections}"),
            ("cluster jobs (submit calls)", $"{g.ClusterJobs} ({g.SubmitCalls})"),
            ("one terminal event / one notification per step / bills", $"{g.JobsWithOneTerminalEvent} / {g.JobsWithOneNotificationPerStep} / {g.ComputeRecords} compute, {g.StorageRecords} storage"),
            ("every guarantee holds", Yes(holds)),
            ("wall time", $"{outcome.Duration.TotalSeconds:0} s"));
        foreach (var line in wrong)
        {
            Console.WriteLine(line);
        }

        return holds ? 0 : 1;
    }

    public static async Task<int> NodesAsync(string[] args)
    {
        var nodes = JobCreationBenchmark.Option(args, "--nodes", 3);
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 60);
        var outcome = await NodesScenario.RunAsync(ConnectionString(), nodes, jobs, Console.Error.WriteLine);
        var g = outcome.Guarantees;
        var gaps = outcome.PollGaps.Order().ToList();
        var stalls = outcome.ProjectionStalls.Order().ToList();
        var holds = g.AllHold(jobs, jobs, 1) && g.Completed == jobs && outcome.PollTakeoverSeconds <= 30 && outcome.ProjectionTakeoverSeconds <= 30;
        PrintTable(
            ("nodes / jobs (node 1 killed once all run)", $"{nodes} / {jobs}"),
            ("jobs submitted by node 1, 2, ...", string.Join(" / ", outcome.SubmissionsByNode)),
            ("CPU seconds of node 1 (until killed), 2, ...", string.Join(" / ", outcome.CpuSecondsByNode.Select(c => c.ToString("0", CultureInfo.InvariantCulture)))),
            ("poll interval / node time-out", $"{outcome.PollInterval.TotalSeconds:0} s / {outcome.NodeTimeout.TotalSeconds:0} s"),
            ("poll gap across the kill p50 / max (jobs measured)", $"{Stats.Percentile(gaps, 50):0.0} s / {gaps.LastOrDefault():0.0} s ({gaps.Count})"),
            ("polls taken over within (max gap - interval; target 30 s)", $"{outcome.PollTakeoverSeconds:0.0} s"),
            ("projections behind after the kill p50 / max (target 30 s)", $"{Stats.Percentile(stalls, 50):0.0} s / {outcome.ProjectionTakeoverSeconds:0.0} s"),
            ("completed / one terminal event / cluster jobs", $"{g.Completed} / {g.JobsWithOneTerminalEvent} / {g.ClusterJobs} ({g.SubmitCalls} submit calls)"),
            ("compute / storage records / models / one notification per step", $"{g.ComputeRecords} / {g.StorageRecords} / {g.Models} / {g.JobsWithOneNotificationPerStep}"),
            ("every guarantee holds", Yes(holds)),
            ("wall time", $"{outcome.Duration.TotalSeconds:0} s"));
        return holds ? 0 : 1;
    }

    internal static string ConnectionString() =>
        Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES") ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run through ./bench.sh");

    private static string Yes(bool value) => value ? "yes" : "**no**";

    internal static void PrintTable(params (string Measure, string Value)[] rows)
    {
        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("| --- | ---: |");
        foreach (var (measure, value) in rows)
        {
            Console.WriteLine($"| {measure} | {value} |");
        }

        Console.WriteLine();
    }
}
