using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraPipeline.Cli.Config;

/// <summary>What <c>lora login</c> stores: the server's URL and the API key.</summary>
public sealed record StoredLogin(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("api_key")] string ApiKey);

/// <summary>Where the URL and key of this invocation came from, for messages that say what to change.</summary>
public enum CredentialSource
{
    None,
    ConfigFile,
    Environment,
}

/// <summary>The server and key one invocation uses: the config file, overridden value by value by LORA_URL / LORA_API_KEY.</summary>
public sealed record Credentials(string? Url, string? ApiKey, CredentialSource UrlSource, CredentialSource KeySource);

/// <summary>
/// The config file, <c>$XDG_CONFIG_HOME/lora/config.json</c> (default <c>~/.config/lora/config.json</c>).
/// It holds a secret, so the folder is created 0700 and the file written 0600 before any byte of the key
/// goes in (written to a temporary file of that mode and moved over the old one, so a crash never
/// leaves a half-written or world-readable file).
/// </summary>
public static class CliConfig
{
    public const string UrlVariable = "LORA_URL";
    public const string KeyVariable = "LORA_API_KEY";

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SecretFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string Folder()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "lora"); // the XDG spec: a relative value is invalid and ignored
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrWhiteSpace(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return Path.Combine(home, ".config", "lora");
    }

    public static string FilePath() => Path.Combine(Folder(), "config.json");

    public static StoredLogin? Load()
    {
        var path = FilePath();
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<StoredLogin>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new CliException($"The config file {path} is not valid JSON ({e.Message}). Delete it (lora logout) and sign in again with lora login.");
        }
    }

    public static Credentials Resolve()
    {
        var stored = Load();
        var envUrl = Environment.GetEnvironmentVariable(UrlVariable);
        var envKey = Environment.GetEnvironmentVariable(KeyVariable);
        var (url, urlSource) = !string.IsNullOrWhiteSpace(envUrl)
            ? (envUrl.Trim(), CredentialSource.Environment)
            : stored is null ? (null, CredentialSource.None) : (stored.Url, CredentialSource.ConfigFile);
        var (key, keySource) = !string.IsNullOrWhiteSpace(envKey)
            ? (envKey.Trim(), CredentialSource.Environment)
            : stored is null ? (null, CredentialSource.None) : (stored.ApiKey, CredentialSource.ConfigFile);
        return new Credentials(url, key, urlSource, keySource);
    }

    public static void Save(StoredLogin login)
    {
        var folder = Folder();
        var path = FilePath();
        var temporary = Path.Combine(folder, $".config.json.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder); // under the user's profile, which only they can read
        }
        else
        {
            Directory.CreateDirectory(folder, FolderMode);
            File.SetUnixFileMode(folder, FolderMode); // it may have existed with a looser mode
            options.UnixCreateMode = SecretFileMode;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, login, Json);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Removes the stored login; true when there was one.</summary>
    public static bool Delete()
    {
        var path = FilePath();
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>A key shown in messages: its public id part only (lp_&lt;key id&gt;_…), never the secret.</summary>
    public static string Redact(string key)
    {
        var parts = key.Split('_');
        return parts.Length >= 3 && parts[0] == "lp" ? $"lp_{parts[1]}_…" : key.Length > 6 ? key[..6] + "…" : "…";
    }
}
