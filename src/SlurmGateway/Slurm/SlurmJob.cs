using System.Text.Json.Serialization;

namespace LoraPipeline.SlurmGateway.Slurm;

/// <summary>The fields of slurmrestd's v0.0.38 job object the gateway reads (times are unix seconds, 0 = not yet).</summary>
internal sealed record SlurmJob
{
    [JsonPropertyName("job_id")] public long JobId { get; init; }
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("job_state")] public string JobState { get; init; } = "";
    [JsonPropertyName("state_reason")] public string? StateReason { get; init; }
    [JsonPropertyName("state_description")] public string? StateDescription { get; init; }
    [JsonPropertyName("exit_code")] public int ExitCode { get; init; }
    [JsonPropertyName("restart_cnt")] public int RestartCount { get; init; }
    [JsonPropertyName("start_time")] public long StartTime { get; init; }
    [JsonPropertyName("end_time")] public long EndTime { get; init; }
    [JsonPropertyName("submit_time")] public long SubmitTime { get; init; }

    public bool IsPending => JobState is "PENDING" or "REQUEUED" or "REQUEUE_FED" or "REQUEUE_HOLD" or "RESV_DEL_HOLD";

    public bool IsRunning => JobState is "RUNNING" or "CONFIGURING" or "COMPLETING" or "SUSPENDED" or "STAGE_OUT" or "SIGNALING" or "RESIZING";

    public bool IsEnded => !IsPending && !IsRunning && JobState.Length > 0;

    public DateTimeOffset? Started => StartTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(StartTime) : null;

    /// <summary>The end of an ended job (while it runs, Slurm's end_time is start + time limit).</summary>
    public DateTimeOffset? Ended => IsEnded && EndTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(EndTime) : null;
}

internal sealed record SlurmError
{
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("error_number")] public int? ErrorNumber { get; init; }
    [JsonPropertyName("error_code")] public int? ErrorCode { get; init; }

    public int Code => ErrorNumber ?? ErrorCode ?? 0;

    public string Sentence => string.Join(": ", new[] { Error, Description }.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct());
}

internal sealed record SlurmJobsResponse
{
    [JsonPropertyName("jobs")] public List<SlurmJob> Jobs { get; init; } = [];
    [JsonPropertyName("errors")] public List<SlurmError> Errors { get; init; } = [];
}

internal sealed record SlurmSubmitResponse
{
    [JsonPropertyName("job_id")] public long? JobId { get; init; }
    [JsonPropertyName("errors")] public List<SlurmError> Errors { get; init; } = [];
}

/// <summary>What slurmrestd refused, with Slurm's own words; <see cref="IsRequestError"/> when resubmitting cannot help.</summary>
internal sealed class SlurmRefusedException(string message, bool isRequestError) : Exception(message)
{
    public bool IsRequestError { get; } = isRequestError;
}
