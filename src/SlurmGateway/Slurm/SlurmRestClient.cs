using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Slurm;

/// <summary>slurmrestd v0.0.38 over HTTP: submit, one listing of all jobs, cancel.</summary>
internal sealed class SlurmRestClient(HttpClient http, SlurmToken token, IOptions<GatewayOptions> options)
{
    public const string HttpClientName = "LoraPipeline.SlurmGateway.Slurm";
    private const string Api = "slurm/v0.0.38/";

    public async Task<long> SubmitAsync(JsonObject job, string script, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["job"] = job, ["script"] = script };
        using var request = Request(HttpMethod.Post, "job/submit");
        // slurmrestd 22.05 answers 400 "Unable to parse query." to a media type with a charset parameter
        request.Content = new StringContent(body.ToJsonString());
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.SendAsync(request, cancellationToken);
        var answer = await ReadAsync<SlurmSubmitResponse>(response, "submit", cancellationToken);
        if (answer.Errors.Count > 0 || answer.JobId is null)
        {
            var error = answer.Errors.FirstOrDefault();
            // ESLURM_* (2000-2999) are refusals of the request (partition, GPUs, account, time limit): resubmitting cannot help
            throw new SlurmRefusedException("Slurm refused the job: " + (error?.Sentence ?? "no job id in the answer"), error is { Code: >= 2000 and < 3000 });
        }

        return answer.JobId.Value;
    }

    /// <summary>Every job slurmctld still knows (one call, whatever the number of jobs).</summary>
    public async Task<IReadOnlyList<SlurmJob>> JobsAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "jobs");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var answer = await ReadAsync<SlurmJobsResponse>(response, "jobs", cancellationToken);
        return answer.Jobs;
    }

    /// <summary>Cancels a job (SIGTERM to the trainer, SIGKILL after the cluster's KillWait); an unknown or ended job is fine.</summary>
    public async Task CancelAsync(long slurmJobId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Delete, $"job/{slurmJobId}");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var answer = await ReadAsync<SlurmJobsResponse>(response, "cancel", cancellationToken);
        // 2017 invalid job id, 2021 already completing or completed: nothing is left to stop
        if (answer.Errors.Count > 0 && answer.Errors.All(e => e.Code is 2017 or 2021))
        {
            return;
        }

        throw new HttpRequestException($"slurmrestd cancel of job {slurmJobId} answered {(int)response.StatusCode}: {string.Join("; ", answer.Errors.Select(e => e.Sentence))}");
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var o = options.Value;
        var request = new HttpRequestMessage(method, new Uri(new Uri(o.SlurmRestUrl.TrimEnd('/') + "/"), Api + path));
        request.Headers.Add("X-SLURM-USER-NAME", o.SlurmUser);
        request.Headers.Add("X-SLURM-USER-TOKEN", token.Current());
        return request;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, string call, CancellationToken cancellationToken)
        where T : class
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new HttpRequestException($"slurmrestd refused our credentials on {call} ({(int)response.StatusCode})");
        }

        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                // slurmrestd answers 500 with an errors[] array for Slurm's refusals: the body says more than the code
                var parsed = JsonSerializer.Deserialize<T>(text);
                if (parsed is not null)
                {
                    return parsed;
                }
            }
            catch (JsonException)
            {
            }
        }

        throw new HttpRequestException($"slurmrestd {call} answered {(int)response.StatusCode}: {Trim(text)}");
    }

    private static string Trim(string text) => text.Length > 300 ? text[..300] : text;
}
