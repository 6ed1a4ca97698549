using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LoraPipeline.Host.Composition;

/// <summary>Title, description and the bearer API-key scheme of the OpenAPI document.</summary>
internal sealed class OpenApiDocumentInfo : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "LoraPipeline API";
        document.Info.Description =
            "Upload a chat dataset, estimate and run LoRA training on rented GPUs, download the adapter, follow the cost. " +
            "Send 'Authorization: Bearer <api key>'. Success bodies are { success: true, data }, errors RFC 9457 problem documents with 'error' and 'details'.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key (lp_...) from 'users create <name>' or 'keys create <user>'.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
        return Task.CompletedTask;
    }
}

/// <summary>Anonymous operations need no key; drop Wolverine's placeholder "200: IResult" answers.</summary>
internal sealed class OpenApiOperationCleanup : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [];
        }

        if (operation.Responses is { Count: > 1 } responses && responses.TryGetValue("200", out var ok)
            && ok.Content?.Values.Any(c => c.Schema is OpenApiSchemaReference { Reference.Id: "IResult" }) == true)
        {
            responses.Remove("200");
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Numbers are numbers. The API's JSON options (JsonSerializerDefaults.Web) also read a number sent as a string,
/// so the generator describes every number as "integer | string" with a digits pattern, and clients generated from
/// the document (the dashboard's types) would have to treat every figure the API sends as possibly a string. The API
/// always writes numbers as JSON numbers; the document says so. (The lenient reading stays: only the document changes.)
/// </summary>
internal sealed class OpenApiNumbersAreNumbers : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String)
            && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        return Task.CompletedTask;
    }
}
