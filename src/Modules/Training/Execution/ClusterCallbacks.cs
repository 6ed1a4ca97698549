using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.Platform;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Microsoft.AspNetCore.Authorization;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Training.Execution;

/// <summary>The callback URL a job is submitted with: it names the job's owner, so no lookup across users is needed.</summary>
public sealed class ClusterCallbackUrls(IOptions<GpuClusterOptions> options, IOptions<StorageOptions> storage)
{
    public string? For(TrainingJob job) =>
        options.Value.UseCallbacks ? $"{storage.Value.PublicBaseUrl.TrimEnd('/')}/api/gpu-callbacks/{job.UserId}/{job.Id}" : null;
}

/// <summary>
/// Checks a callback's signature (cluster contract v2): <c>X-Cluster-Signature: v2=hex(HMAC-SHA256(secret,
/// "{timestamp}.{METHOD}.{path}.{body}"))</c> with <c>X-Cluster-Timestamp</c> (unix seconds) within the tolerance.
/// Covering the method and path binds a signature to one job's callback URL; the timestamp bounds how long a
/// captured callback could be replayed, and <see cref="SeenCallbackSignature"/> refuses a replay within that time.
/// </summary>
public static class CallbackSignature
{
    public static string Compute(string secret, string timestamp, string method, string path, string body) =>
        "v2=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{method}.{path}.{body}")));

    public static string? Refuse(
        string secret, string? timestamp, string? signature, string method, string path, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
        {
            return "X-Cluster-Timestamp and X-Cluster-Signature are required.";
        }

        if (Math.Abs(now.ToUnixTimeSeconds() - unix) > tolerance.TotalSeconds)
        {
            return "The callback's timestamp is outside the allowed window.";
        }

        var expected = Encoding.ASCII.GetBytes(Compute(secret, timestamp, method, path, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)) ? null : "The callback's signature does not match.";
    }
}

/// <summary>
/// A callback signature already accepted (its SHA-256, the document's id): the same signed request again is a
/// replay and is refused. Kept for twice the timestamp tolerance, then removed by the job watch.
/// </summary>
public sealed class SeenCallbackSignature
{
    public string Id { get; set; } = "";
    public DateTimeOffset SeenAt { get; set; }

    public static string IdOf(string signature) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(signature)));
}

public static class ClusterCallbackEndpoint
{
    private const int MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// The GPU cluster pushes a job's status here between our polls. Authenticated by the HMAC
    /// signature, not an API key. The report is handed to <see cref="ApplyClusterReportHandler"/>
    /// in the job owner's tenant.
    /// </summary>
    [AllowAnonymous, NotTenanted]
    [WolverinePost("/api/gpu-callbacks/{userId}/{jobId}", OperationId = "GpuClusterCallback"), Tags("GPU cluster")]
    public static async Task<IResult> Receive(
        Guid userId, Guid jobId, HttpContext http, IMessageBus bus, IDocumentStore store, IOptions<GpuClusterOptions> options, TimeProvider clock,
        CancellationToken ct)
    {
        if (options.Value.CallbackSecret.Length < GpuClusterOptions.MinCallbackSecretLength)
        {
            // with callbacks off no secret is required, and a signature under an empty key proves nothing
            throw ApiProblems.NotFound("Callback endpoint");
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            throw new ApiProblemException(StatusCodes.Status413PayloadTooLarge, "Payload too large", "A callback body may have at most 1 MiB.");
        }

        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ct);
        var signature = http.Request.Headers["X-Cluster-Signature"].ToString();
        var refusal = CallbackSignature.Refuse(
            options.Value.CallbackSecret, http.Request.Headers["X-Cluster-Timestamp"], signature, http.Request.Method, http.Request.Path, body,
            clock.GetUtcNow(), options.Value.CallbackTolerance);
        if (refusal is not null)
        {
            throw new ApiProblemException(StatusCodes.Status401Unauthorized, "Invalid callback signature", refusal);
        }

        if (!await FirstSightingAsync(store, Caller.TenantOf(userId), signature, clock.GetUtcNow(), ct))
        {
            throw new ApiProblemException(StatusCodes.Status401Unauthorized, "Invalid callback signature",
                "This signed callback was already received: a replay is refused. A cluster sends each report with a new timestamp.");
        }

        ClusterJobStatus? status;
        try
        {
            status = JsonSerializer.Deserialize<ClusterJobStatus>(body, GpuClusterClient.Json);
        }
        catch (JsonException e)
        {
            throw ApiProblems.BadRequest("Malformed callback", e.Message);
        }

        if (status is null || string.IsNullOrEmpty(status.ExternalJobId) || string.IsNullOrEmpty(status.Status))
        {
            throw ApiProblems.BadRequest("Malformed callback", "external_job_id and status are required.");
        }

        await bus.InvokeForTenantAsync(Caller.TenantOf(userId), new ApplyClusterReport(jobId, status), ct);
        return Results.Accepted();
    }

    /// <summary>Records the signature; false when it was recorded before (by this node or another).</summary>
    private static async Task<bool> FirstSightingAsync(IDocumentStore store, string tenant, string signature, DateTimeOffset now, CancellationToken ct)
    {
        await using var session = store.LightweightSession(tenant);
        session.Insert(new SeenCallbackSignature { Id = SeenCallbackSignature.IdOf(signature), SeenAt = now });
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (Exception e) when (e is JasperFx.DocumentAlreadyExistsException || LostWriteRace.Caused(e)
                                  || e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return false;
        }
    }
}
