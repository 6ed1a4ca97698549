using System.Collections.Concurrent;
using System.Text.Json;
using LoraPipeline.SlurmGateway.Api;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>
/// The job folders under JobRoot: paths, the state file (written to a temporary file, flushed, then renamed over
/// the old one, so a crash leaves the old or the new state, never half of one), and one lock per job for the
/// endpoints and the monitor.
/// </summary>
internal sealed class JobFolders(IOptions<GatewayOptions> options)
{
    public const string StateFile = "gateway.json";
    public const string SubmittingFile = "submitting";
    public const string JobFile = "job.json";
    public const string DatasetFile = "dataset.jsonl";
    public const string ValidationDatasetFile = "validation.jsonl";
    public const string ScriptFile = "job.sbatch";
    public const string AdapterModel = "adapter_model.safetensors";
    public const string AdapterConfig = "adapter_config.json";

    /// <summary>The final files the artifacts call lists, those the trainer wrote.</summary>
    public static readonly IReadOnlyList<string> FinalFiles = [AdapterConfig, AdapterModel, "training_args.json", "training_log.jsonl", "metrics.json"];

    public static readonly IReadOnlyList<string> CheckpointFiles = [AdapterConfig, AdapterModel];

    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _locks = new();

    public string Root => options.Value.JobRoot;

    public string Folder(Guid jobId) => Path.Combine(Root, jobId.ToString("D"));

    public string PathOf(Guid jobId, string file) => Path.Combine(Folder(jobId), file);

    public string SlurmError(Guid jobId, long slurmJobId) => PathOf(jobId, $"slurm-{slurmJobId}.err");

    public async Task<IDisposable> LockAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(jobId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    public JobState? Load(Guid jobId)
    {
        var path = PathOf(jobId, StateFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<JobState>(File.ReadAllBytes(path), WireJson.Options) : null;
    }

    public void Save(JobState state)
    {
        var path = PathOf(state.JobId, StateFile);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, state, WireJson.Options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Jobs whose end is not recorded yet, read from the folders (what the monitor watches, also after a restart).</summary>
    public IEnumerable<Guid> Unfinished()
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            if (Guid.TryParseExact(Path.GetFileName(folder), "D", out var id) && File.Exists(Path.Combine(folder, StateFile)))
            {
                JobState? state;
                try
                {
                    state = Load(id);
                }
                catch (Exception e) when (e is IOException or JsonException)
                {
                    continue;
                }

                if (state is { Final: null })
                {
                    yield return id;
                }
            }
        }
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
