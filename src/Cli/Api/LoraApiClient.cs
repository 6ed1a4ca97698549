using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraPipeline.Cli.Api;

/// <summary>The API's JSON conventions: snake_case names, nulls left out of request bodies.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static T Read<T>(JsonElement element) =>
        element.Deserialize<T>(Options) ?? throw new CliException($"The server answered null where a {typeof(T).Name} was expected.");
}

/// <summary>
/// A success answer: the <c>data</c> of <c>{ success, data }</c> as the typed record commands render
/// and as the raw JSON <c>--json</c> prints exactly as it came.
/// </summary>
public sealed record ApiData<T>(T Value, JsonElement Raw);

/// <summary>
/// The typed client of the LoraPipeline HTTP API over one HttpClient. Errors become
/// <see cref="ApiException"/> (with the problem document) or, when the server cannot be reached at
/// all, a <see cref="CliException"/> whose sentence says so.
/// </summary>
public sealed class LoraApiClient : IDisposable
{
    /// <summary>Ordinary requests; uploads, downloads and event streams run as long as they need.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    public LoraApiClient(Uri baseUrl, string? apiKey, HttpMessageHandler? handler = null)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = baseUrl,
            Timeout = Timeout.InfiniteTimeSpan, // per request below: a stream of a long job must not be cut at 100 s
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("lora-cli", Version));
    }

    public Uri BaseUrl { get; }

    public static string Version { get; } =
        typeof(LoraApiClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The HttpClient itself, for signed file links (absolute URLs, no key needed, Range requests).</summary>
    public HttpClient Http => _http;

    // ---- account
    public Task<ApiData<Me>> MeAsync(CancellationToken ct) => GetAsync<Me>("/api/me", ct);

    // ---- datasets
    public Task<ApiData<DatasetList>> ListDatasetsAsync(int page, int limit, string? status, CancellationToken ct) =>
        GetAsync<DatasetList>("/api/datasets" + Query(("page", page.ToString(Inv)), ("limit", limit.ToString(Inv)), ("status", status)), ct);

    public Task<ApiData<Dataset>> GetDatasetAsync(Guid id, CancellationToken ct) => GetAsync<Dataset>($"/api/datasets/{id}", ct);

    public Task<ApiData<DatasetErrors>> DatasetErrorsAsync(Guid id, int page, int limit, CancellationToken ct) =>
        GetAsync<DatasetErrors>($"/api/datasets/{id}/errors" + Query(("page", page.ToString(Inv)), ("limit", limit.ToString(Inv))), ct);

    public Task DeleteDatasetAsync(Guid id, CancellationToken ct) => SendForNothingAsync(HttpMethod.Delete, $"/api/datasets/{id}", ct);

    /// <summary>
    /// Multipart upload streamed from the file (never whole in memory); <paramref name="sent"/> hears
    /// the bytes of the file as the HTTP stack reads them.
    /// </summary>
    public async Task<ApiData<Dataset>> UploadDatasetAsync(
        FileInfo file, string name, string? format, string? description, Action<long>? sent, CancellationToken ct)
    {
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var content = new MultipartFormDataContent();
        var fileContent = new StreamContent(new ProgressStream(stream, sent), 81920);
        fileContent.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        fileContent.Headers.ContentLength = file.Length;
        content.Add(new StringContent(name, Encoding.UTF8), "name");
        if (!string.IsNullOrEmpty(format))
        {
            content.Add(new StringContent(format, Encoding.UTF8), "format");
        }

        if (!string.IsNullOrEmpty(description))
        {
            content.Add(new StringContent(description, Encoding.UTF8), "description");
        }

        content.Add(fileContent, "file", file.Name);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/datasets") { Content = content };
        return await SendAsync<Dataset>(request, timeout: null, ct);
    }

    // ---- configuration and jobs
    public Task<ApiData<PresetList>> PresetsAsync(CancellationToken ct) => GetAsync<PresetList>("/api/presets", ct);

    public Task<ApiData<GpuList>> GpusAsync(CancellationToken ct) => GetAsync<GpuList>("/api/gpus", ct);

    public Task<ApiData<Estimate>> EstimateAsync(JobRequest body, CancellationToken ct) => PostAsync<Estimate>("/api/jobs/estimate", body, null, ct);

    /// <summary>The same key on a retry answers the same job (header Idempotency-Replayed), so a retried create never makes two.</summary>
    public Task<ApiData<Job>> CreateJobAsync(JobRequest body, string idempotencyKey, CancellationToken ct) =>
        PostAsync<Job>("/api/jobs", body, new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey }, ct);

    public Task<ApiData<JobList>> ListJobsAsync(int page, int limit, string? status, CancellationToken ct) =>
        GetAsync<JobList>("/api/jobs" + Query(("page", page.ToString(Inv)), ("limit", limit.ToString(Inv)), ("status", status)), ct);

    public Task<ApiData<JobDetails>> GetJobAsync(Guid id, CancellationToken ct) => GetAsync<JobDetails>($"/api/jobs/{id}", ct);

    public Task<ApiData<JobHistory>> JobEventsAsync(Guid id, CancellationToken ct) => GetAsync<JobHistory>($"/api/jobs/{id}/events", ct);

    public Task<ApiData<Job>> CancelJobAsync(Guid id, CancellationToken ct) => PostAsync<Job>($"/api/jobs/{id}/cancel", new { }, null, ct);

    public Task<ApiData<Job>> PauseJobAsync(Guid id, CancellationToken ct) => PostAsync<Job>($"/api/jobs/{id}/pause", new { }, null, ct);

    public Task<ApiData<Job>> ResumeJobAsync(Guid id, CancellationToken ct) => PostAsync<Job>($"/api/jobs/{id}/resume", new { }, null, ct);

    public Task<ApiData<JobCheckpoints>> CheckpointsAsync(Guid id, CancellationToken ct) =>
        GetAsync<JobCheckpoints>($"/api/jobs/{id}/checkpoints", ct);

    public Task<ApiData<DownloadLinks>> CheckpointLinksAsync(Guid jobId, int step, CancellationToken ct) =>
        PostAsync<DownloadLinks>($"/api/jobs/{jobId}/checkpoints/{step.ToString(Inv)}/download", new { }, null, ct);

    /// <summary>Opens the job's server-sent events; the caller reads (and disposes) the response.</summary>
    public async Task<HttpResponseMessage> OpenJobStreamAsync(Guid id, string? lastEventId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{id}/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return await Transport(request, () => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct), ct);
    }

    // ---- models
    public Task<ApiData<ModelList>> ListModelsAsync(int page, int limit, string? sort, CancellationToken ct) =>
        GetAsync<ModelList>("/api/models" + Query(("page", page.ToString(Inv)), ("limit", limit.ToString(Inv)), ("sort", sort)), ct);

    public Task<ApiData<Model>> GetModelAsync(Guid id, CancellationToken ct) => GetAsync<Model>($"/api/models/{id}", ct);

    public Task<ApiData<DownloadLinks>> ModelLinksAsync(Guid id, IReadOnlyList<string>? files, bool includeFlagged, CancellationToken ct) =>
        PostAsync<DownloadLinks>($"/api/models/{id}/download", new { files = files is { Count: > 0 } ? files : null, include_flagged = includeFlagged }, null, ct);

    // ---- money
    public Task<ApiData<CostReport>> CostsAsync(string? period, string? start, string? end, CancellationToken ct) =>
        GetAsync<CostReport>("/api/costs" + Query(("period", period), ("start_date", start), ("end_date", end)), ct);

    public Task<ApiData<BudgetUsage>> BudgetAsync(CancellationToken ct) => GetAsync<BudgetUsage>("/api/budget", ct);

    public Task<ApiData<BudgetUsage>> SetBudgetAsync(decimal? monthlyLimit, bool hardLimit, CancellationToken ct) =>
        SendJsonAsync<BudgetUsage>(HttpMethod.Put, "/api/budget", new SetBudgetBody(monthlyLimit, hardLimit), null, ct);

    public Task<ApiData<NotificationList>> NotificationsAsync(bool unreadOnly, int limit, CancellationToken ct) =>
        GetAsync<NotificationList>("/api/notifications" + Query(("unread", unreadOnly ? "true" : null), ("limit", limit.ToString(Inv))), ct);

    public Task<ApiData<ReadAllResult>> ReadAllNotificationsAsync(CancellationToken ct) => PostAsync<ReadAllResult>("/api/notifications/read-all", new { }, null, ct);

    public Task<ApiData<Notification>> ReadNotificationAsync(Guid id, CancellationToken ct) =>
        SendJsonAsync<Notification>(HttpMethod.Patch, $"/api/notifications/{id}/read", new { }, null, ct);

    // ---- plumbing
    public Task<ApiData<T>> GetAsync<T>(string path, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        return SendDisposingAsync<T>(request, ct);
    }

    public Task<ApiData<T>> PostAsync<T>(string path, object body, IDictionary<string, string>? headers, CancellationToken ct) =>
        SendJsonAsync<T>(HttpMethod.Post, path, body, headers, ct);

    private Task<ApiData<T>> SendJsonAsync<T>(HttpMethod method, string path, object body, IDictionary<string, string>? headers, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), ApiJson.Options), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return SendDisposingAsync<T>(request, ct);
    }

    private async Task<ApiData<T>> SendDisposingAsync<T>(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            return await SendAsync<T>(request, RequestTimeout, ct);
        }
    }

    private async Task SendForNothingAsync(HttpMethod method, string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        using var timeout = Deadline(RequestTimeout, ct);
        using var response = await Transport(request, () => _http.SendAsync(request, timeout.Token), ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemAsync(request, response, ct);
        }
    }

    private async Task<ApiData<T>> SendAsync<T>(HttpRequestMessage request, TimeSpan? timeout, CancellationToken ct)
    {
        using var deadline = Deadline(timeout, ct);
        using var response = await Transport(request, () => _http.SendAsync(request, deadline.Token), ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemAsync(request, response, ct);
        }

        var body = await response.Content.ReadAsStringAsync(deadline.Token);
        JsonElement data;
        try
        {
            using var document = JsonDocument.Parse(body);
            data = document.RootElement.TryGetProperty("data", out var inner) ? inner.Clone() : document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CliException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode} with a body that is not JSON ({e.Message}). Is {BaseUrl} a LoraPipeline server?");
        }

        try
        {
            return new ApiData<T>(ApiJson.Read<T>(data), data);
        }
        catch (JsonException e)
        {
            throw new CliException($"{request.Method} {request.RequestUri} answered JSON this client cannot read ({e.Message}). The server may be of another version than this client ({Version}).");
        }
    }

    /// <summary>Turns "could not connect" and time-outs into one sentence that names the server and what to check.</summary>
    private async Task<HttpResponseMessage> Transport(HttpRequestMessage request, Func<Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException socket ? socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "the connection was refused (nothing listens there)",
                SocketError.HostNotFound or SocketError.NoData => "the host name is unknown",
                SocketError.TimedOut => "the connection timed out",
                _ => socket.Message,
            } : e.Message;
            throw new ServerUnreachableException($"Could not reach the LoraPipeline server at {BaseUrl}: {reason}. Check that it is running and that the URL is right (lora login --url URL, or {Config.CliConfig.UrlVariable}).");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ServerUnreachableException($"The server at {BaseUrl} did not answer {request.Method} {request.RequestUri} within {RequestTimeout.TotalSeconds:0} s. Try again; if it keeps happening, the server is overloaded or stuck.");
        }
    }

    public static async Task<ApiException> ProblemAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken ct)
    {
        string? body;
        try
        {
            body = await response.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException)
        {
            body = null;
        }

        return new ApiException(request.Method.Method, request.RequestUri?.ToString() ?? "", ProblemDocument.Parse(response.StatusCode, body));
    }

    private static CancellationTokenSource Deadline(TimeSpan? timeout, CancellationToken ct)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t)
        {
            source.CancelAfter(t);
        }

        return source;
    }

    private static readonly IFormatProvider Inv = System.Globalization.CultureInfo.InvariantCulture;

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>PUT /api/budget: <c>monthly_limit</c> must be written even when null (null removes the budget).</summary>
    private sealed record SetBudgetBody(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] decimal? MonthlyLimit,
        bool HardLimit);
}

/// <summary>No answer at all (refused, unknown host, time-out): a request that may be retried as it was.</summary>
public sealed class ServerUnreachableException(string message) : CliException(message);

/// <summary>The body of an estimate and of a create: what the user chose; the server fills the rest from the preset.</summary>
public sealed record JobRequest(Guid DatasetId, string? PresetId, GpuRequest GpuConfig, HyperparameterRequest? Hyperparameters);

public sealed record GpuRequest(string Type, int Count);

/// <summary>E03's short names (epochs, rank, alpha, dropout), which the server accepts beside E01's.</summary>
public sealed record HyperparameterRequest(
    string? BaseModel, decimal? LearningRate, int? BatchSize, int? Epochs, int? Rank, int? Alpha, decimal? Dropout, int? WarmupSteps, decimal? WeightDecay)
{
    public bool IsEmpty => this == new HyperparameterRequest(null, null, null, null, null, null, null, null, null);
}
