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

/// <summary>
/// "Required" as the API really reads and writes. The generator marks as required each constructor parameter without
/// a default, which is wrong both ways:
/// <list type="bullet">
/// <item>answers are complete: the API writes every property it sends, nulls included (ApiJson:
/// JsonIgnoreCondition.Never), so in every schema that no request carries (reached from no request body or
/// parameter) all properties are required;</item>
/// <item>in what requests carry, a nullable property may be left out: System.Text.Json reads a missing one as null,
/// so sending null and sending nothing are the same, and such a property is not required.</item>
/// </list>
/// </summary>
internal sealed class OpenApiRequiredAsSent : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        if (document.Components?.Schemas is not { } schemas)
        {
            return Task.CompletedTask;
        }

        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            foreach (var media in operation.RequestBody?.Content?.Values ?? [])
            {
                Reach(media.Schema, schemas, read);
            }

            foreach (var parameter in operation.Parameters ?? [])
            {
                Reach(parameter.Schema, schemas, read);
            }
        }

        foreach (var (name, schema) in schemas)
        {
            if (schema is not OpenApiSchema { Properties.Count: > 0 } described)
            {
                continue;
            }

            described.Required = read.Contains(name)
                ? new SortedSet<string>(
                    (described.Required ?? Enumerable.Empty<string>()).Where(p => !IsNullable(described.Properties[p])),
                    StringComparer.Ordinal)
                : new SortedSet<string>(described.Properties.Keys, StringComparer.Ordinal);
        }

        return Task.CompletedTask;
    }

    private static bool IsNullable(IOpenApiSchema? schema) => schema switch
    {
        null => false,
        { Type: { } type } when type.HasFlag(JsonSchemaType.Null) => true,
        // a nullable reference to a component is written as oneOf: [null, $ref]
        _ => (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Any(IsNullable),
    };

    private static void Reach(IOpenApiSchema? schema, IDictionary<string, IOpenApiSchema> schemas, HashSet<string> read)
    {
        switch (schema)
        {
            case OpenApiSchemaReference reference:
                if (reference.Reference.Id is { } id && read.Add(id) && schemas.TryGetValue(id, out var target))
                {
                    Reach(target, schemas, read);
                }

                break;
            case OpenApiSchema inline:
                foreach (var part in (inline.Properties?.Values ?? []).Concat(inline.AllOf ?? []).Concat(inline.AnyOf ?? []).Concat(inline.OneOf ?? []))
                {
                    Reach(part, schemas, read);
                }

                Reach(inline.Items, schemas, read);
                Reach(inline.AdditionalProperties, schemas, read);
                break;
        }
    }
}
