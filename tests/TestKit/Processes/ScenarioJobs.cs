using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LoraPipeline.TestKit.Processes;

/// <summary>Jobs created over the API, as a user would, for the reliability scenarios.</summary>
public static class ScenarioJobs
{
    /// <summary>The small job every scenario trains: 2 epochs on one H100.</summary>
    public static object SmallJob(Guid dataset, int epochs = 2) =>
        new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 }, hyperparameters = new { epochs, batch_size = 4 } };

    /// <summary>Creates <paramref name="count"/> jobs, <paramref name="parallelism"/> requests at a time, spread over the clients given (one per node).</summary>
    public static async Task<List<Guid>> CreateAsync(IReadOnlyList<HttpClient> clients, Func<int, object> body, int count, int parallelism = 8)
    {
        var ids = new List<Guid>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            var response = await clients[i % clients.Count].PostAsJsonAsync("/api/jobs", body(i), ct);
            response.EnsureSuccessStatusCode();
            var id = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["data"]!["id"]!.GetValue<Guid>();
            lock (ids)
            {
                ids.Add(id);
            }
        });
        return ids;
    }
}
