using LoraPipeline.Platform.Identity;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// The answer of a write endpoint in Wolverine's aggregate handler workflow: the resource as its inline
/// projection stores it once the request's events are committed, shaped into a response type and the
/// usual envelope. Wolverine runs a returned <see cref="IResult"/> after the transaction commits, so the
/// answer shows the change without the endpoint applying events to state by hand.
/// </summary>
public static class ReadAfterCommit
{
    public static IResult Ok<TDocument, TView>(Guid id, Func<TDocument, TView> view) where TDocument : notnull =>
        new Answer<TDocument, TView>(id, view, StatusCodes.Status200OK);

    public static IResult Accepted<TDocument, TView>(Guid id, Func<TDocument, TView> view) where TDocument : notnull =>
        new Answer<TDocument, TView>(id, view, StatusCodes.Status202Accepted);

    private sealed class Answer<TDocument, TView>(Guid id, Func<TDocument, TView> view, int status) : IResult where TDocument : notnull
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var store = http.RequestServices.GetRequiredService<IDocumentStore>();
            await using var session = store.QuerySession(Caller.TenantOf(http.User.UserId()));
            var document = await session.LoadAsync<TDocument>(id, http.RequestAborted)
                ?? throw new InvalidOperationException($"{typeof(TDocument).Name} {id} is gone right after its change was committed.");
            await Results.Json(new ApiResponse<TView>(view(document)), statusCode: status).ExecuteAsync(http);
        }
    }
}
