using System.Threading.RateLimiting;
using LoraPipeline.Platform.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoraPipeline.Platform.Limits;

/// <summary>Section <c>Limits</c>: how many requests one API key may make (a token bucket per key; 0 turns it off).</summary>
public sealed class RequestRateOptions
{
    public const string Section = "Limits";

    /// <summary>Sustained requests per second per API key.</summary>
    public int RequestsPerSecond { get; set; } = 20;

    /// <summary>Requests a key may make at once after being idle (the bucket's size).</summary>
    public int RequestBurst { get; set; } = 200;
}

/// <summary>
/// ASP.NET Core's rate limiter, partitioned by API key: one key's burst answers 429 with Retry-After to
/// that key only, and every other key keeps its own bucket. Unauthenticated requests (health, docs, cluster
/// callbacks, a wrong key's 401) are not counted here. Buckets are per node: on N nodes a key may make up to
/// N times the rate, which the README's "Several nodes" section says.
/// </summary>
public static class RequestRateLimit
{
    public static IHostApplicationBuilder AddRequestRateLimit(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RequestRateOptions.Section).Get<RequestRateOptions>() ?? new RequestRateOptions();
        if (options.RequestsPerSecond < 0 || options.RequestBurst < 0)
        {
            throw new InvalidOperationException("Limits:RequestsPerSecond and Limits:RequestBurst must be 0 (off) or more.");
        }

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                options.RequestsPerSecond == 0 || IsOpen(http) || http.User.FindFirst(Caller.KeyIdClaim)?.Value is not { } keyId
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetTokenBucketLimiter(keyId, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(options.RequestBurst, options.RequestsPerSecond),
                        TokensPerPeriod = options.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = (context, ct) => RejectAsync(context, options, ct);
        });
        return builder;
    }

    /// <summary>Health, docs and the other endpoints that need no key are not counted, even when a key is sent.</summary>
    private static bool IsOpen(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null;

    /// <summary>After authentication (the partition is the caller's key), before anything reads a body.</summary>
    public static IApplicationBuilder UseRequestRateLimit(this IApplicationBuilder app) => app.UseRateLimiter();

    private static async ValueTask RejectAsync(OnRejectedContext context, RequestRateOptions options, CancellationToken ct)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        await UserLimits.WriteTooManyAsync(context.HttpContext, new UserLimitExceeded(
            "Too many requests",
            $"This API key may make {options.RequestsPerSecond} requests per second (bursts of {options.RequestBurst}); retry in {seconds} s.",
            "requests_per_second", options.RequestsPerSecond, TimeSpan.FromSeconds(seconds)), ct);
    }
}
