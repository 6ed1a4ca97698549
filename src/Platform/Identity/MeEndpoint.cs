using System.Security.Claims;
using LoraPipeline.Platform.Http;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Platform.Identity;

public sealed record MeResponse(Guid Id, string Name, DateTimeOffset CreatedAt, Guid ApiKeyId);

public static class MeEndpoint
{
    /// <summary>Who am I: the user the API key belongs to.</summary>
    [WolverineGet("/api/me", OperationId = "GetMe"), Microsoft.AspNetCore.Http.Tags("Account")]
    public static async Task<ApiResponse<MeResponse>> Get(ClaimsPrincipal principal, IQuerySession session, CancellationToken ct)
    {
        var user = await session.LoadAsync<UserAccount>(principal.UserId(), ct)
                   ?? throw ApiProblems.NotFound("User");
        return Api.Ok(new MeResponse(user.Id, user.Name, user.CreatedAt, principal.KeyId()));
    }
}
