using System.Text.Encodings.Web;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Platform.Identity;

/// <summary>
/// <c>Authorization: Bearer lp_...</c>. A missing, malformed, unknown or revoked key is a 401 problem
/// document; which of those it was is not disclosed, and the key is never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDocumentStore store,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        if (!ApiKeySecret.TryParse(header["Bearer ".Length..].Trim(), out var key))
        {
            // not one of our keys (another service's token, say): no identity; protected endpoints answer 401
            return AuthenticateResult.NoResult();
        }

        // one read per request, no cache: a revoked key stops working on its next request, on every node
        await using var session = store.QuerySession();
        var record = await session.LoadAsync<ApiKeyRecord>(key!.KeyId, Context.RequestAborted);
        if (record is null || record.RevokedAt is not null || !key.Matches(record.SecretHash))
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(Caller.Principal(record, SchemeName), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = "Send a valid API key as 'Authorization: Bearer <key>'. Create one with 'users create <name>' or 'keys create <user>'.",
            },
        });
    }
}
