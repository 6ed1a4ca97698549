using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// The dashboard's API types are generated from a snapshot of the OpenAPI document
/// (src/Host/ClientApp/openapi/v1.json → src/lib/schema.d.ts, type-checked by scripts/build-client.sh).
/// This test keeps the snapshot equal to what the Host serves, so a server change that the dashboard
/// does not follow fails: first here, and once the snapshot is refreshed, in the dashboard's type check.
/// </summary>
public sealed class when_the_dashboard_reads_the_openapi_document(PlatformHost platform) : IClassFixture<PlatformHost>
{
    /// <summary>Set to 1 to write the served document over the snapshot instead of comparing (scripts/openapi-snapshot.sh).</summary>
    public const string UpdateVariable = "LORA_UPDATE_OPENAPI";

    [Fact]
    public async Task the_committed_snapshot_is_the_document_the_host_serves()
    {
        var result = await platform.Host.Scenario(s => s.Get.Url("/openapi/v1.json"));
        var served = OpenApiSnapshot.Normalise(JsonNode.Parse(await result.ReadAsTextAsync())!);
        var path = OpenApiSnapshot.FilePath();

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(path, served);
            return;
        }

        Assert.True(File.Exists(path), $"No OpenAPI snapshot at {path}: run scripts/openapi-snapshot.sh.");
        var committed = OpenApiSnapshot.Normalise(JsonNode.Parse(await File.ReadAllTextAsync(path))!);
        if (committed != served)
        {
            Assert.Fail(
                "The Host's OpenAPI document differs from the dashboard's snapshot src/Host/ClientApp/openapi/v1.json " +
                $"(first difference near line {OpenApiSnapshot.FirstDifferentLine(committed, served)}). " +
                "Run scripts/openapi-snapshot.sh to refresh the snapshot and the generated types, then scripts/build-client.sh: " +
                "its type check shows where the dashboard no longer matches the server.");
        }
    }
}

/// <summary>The snapshot's one form: keys sorted at every level, no server address, indented, LF line ends.</summary>
internal static class OpenApiSnapshot
{
    private static readonly JsonSerializerOptions Written = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string FilePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LoraPipeline.sln")))
            {
                return Path.Combine(dir.FullName, "src", "Host", "ClientApp", "openapi", "v1.json");
            }
        }

        throw new InvalidOperationException($"Run from the repository: no LoraPipeline.sln above {AppContext.BaseDirectory}.");
    }

    public static string Normalise(JsonNode document)
    {
        if (document is JsonObject root)
        {
            root.Remove("servers"); // the address the document was fetched from, not part of the API
        }

        return Sorted(document)!.ToJsonString(Written).ReplaceLineEndings("\n") + "\n";
    }

    public static int FirstDifferentLine(string a, string b)
    {
        var left = a.Split('\n');
        var right = b.Split('\n');
        var line = 0;
        while (line < left.Length && line < right.Length && left[line] == right[line])
        {
            line++;
        }

        return line + 1;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };
}
