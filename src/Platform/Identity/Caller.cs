using System.Security.Claims;

namespace LoraPipeline.Platform.Identity;

/// <summary>
/// The authenticated user as claims. <see cref="UserIdClaim"/> is also Wolverine's tenant id claim,
/// so every Marten session opened for a request is scoped to the caller's own data.
/// </summary>
public static class Caller
{
    public const string UserIdClaim = "user_id";
    public const string KeyIdClaim = "key_id";

    public static ClaimsPrincipal Principal(ApiKeyRecord key, string scheme) =>
        new(new ClaimsIdentity(
            [
                new Claim(UserIdClaim, TenantOf(key.UserId)),
                new Claim(ClaimTypes.Name, key.UserName),
                new Claim(KeyIdClaim, key.Id.ToString()),
            ],
            scheme));

    /// <summary>The tenant id of a user: the user id in its canonical form.</summary>
    public static string TenantOf(Guid userId) => userId.ToString("D");

    /// <summary>The user a tenant id (of a session or a message) stands for.</summary>
    public static Guid UserOf(string? tenantId) =>
        Guid.TryParse(tenantId, out var userId) ? userId : throw new InvalidOperationException($"'{tenantId}' is not a user's tenant id.");

    public static Guid UserId(this ClaimsPrincipal principal) =>
        Guid.Parse(principal.FindFirstValue(UserIdClaim)
            ?? throw new InvalidOperationException("The request is not authenticated."));

    public static Guid KeyId(this ClaimsPrincipal principal) =>
        Guid.Parse(principal.FindFirstValue(KeyIdClaim)
            ?? throw new InvalidOperationException("The request is not authenticated."));
}
