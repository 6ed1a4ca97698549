using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Microsoft.AspNetCore.Authorization;
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
/// Checks a callback's signature: <c>X-Cluster-Signature: sha256=hex(HMAC-SHA256(secret, "{timestamp}.{body}"))</c>
/// with <c>X-Cluster-Timestamp</c> (unix seconds) within the tolerance, so a captured callback
/// cannot be replayed later or altered.
/// </summary>
public static class CallbackSignature
{
    public static string Compute(string secret, string timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    public static string? Refuse(string secret, string? timestamp, string? signature, string body, DateTimeOffset now, TimeSpan tolerance)
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

        var expected = Encoding.ASCII.GetBytes(Compute(secret, timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)) ? null : "The callback's signature does not match.";
    }
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
        Guid userId, Guid jobId, HttpContext http, IMessageBus bus, IOptions<GpuClusterOptions> options, TimeProvider clock, CancellationToken ct)
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
        var refusal = CallbackSignature.Refuse(
            options.Value.CallbackSecret, http.Request.Headers["X-Cluster-Timestamp"], http.Request.Headers["X-Cluster-Signature"],
            body, clock.GetUtcNow(), options.Value.CallbackTolerance);
        if (refusal is not null)
        {
            throw new ApiProblemException(StatusCodes.Status401Unauthorized, "Invalid callback signature", refusal);
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
}
