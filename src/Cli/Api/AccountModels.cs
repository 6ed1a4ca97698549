namespace LoraPipeline.Cli.Api;

// The API's JSON is snake_case; these records use the same names in PascalCase (see ApiJson).
// Every field a command only displays is nullable: an older or newer server that lacks one still works.

/// <summary><c>GET /api/me</c>.</summary>
public sealed record Me(Guid Id, string Name, DateTimeOffset? CreatedAt, Guid? ApiKeyId);

/// <summary>The pagination block of every list.</summary>
public sealed record Pagination(int Page, int Limit, long Total, int TotalPages);
