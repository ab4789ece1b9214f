using System.Text.Json;
using System.Text.Json.Serialization;

namespace DomainPlatform.Dp.Cli;

/// <summary>The file `dp login` writes: where the gateway is and the key to send.</summary>
public sealed record DpConfigFile(
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("apiKey")] string? ApiKey);

/// <summary>The gateway and key a command uses, and where each came from (shown by `dp login` and in errors).</summary>
public sealed record ConnectionSettings(Uri Url, string? ApiKey, string UrlSource, string? ApiKeySource);

/// <summary>
/// One rule for every command: an option wins, then the environment (DP_URL, DP_API_KEY), then the config file
/// (--config, else DP_CONFIG, else $XDG_CONFIG_HOME/dp/config.json, else ~/.config/dp/config.json); each value on its own.
/// </summary>
public static class ConnectionResolver
{
    public const string UrlVariable = "DP_URL";
    public const string ApiKeyVariable = "DP_API_KEY";
    public const string ConfigVariable = "DP_CONFIG";

    public static string ConfigPath(string? configOption, DpEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(configOption)) return Path.GetFullPath(configOption);
        if (environment.GetVariable(ConfigVariable) is { Length: > 0 } fromEnvironment) return Path.GetFullPath(fromEnvironment);
        var configHome = environment.GetVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(environment.HomeDirectory, ".config");
        return Path.Combine(configHome, "dp", "config.json");
    }

    public static DpConfigFile? ReadConfig(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<DpConfigFile>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UsageException($"the config file {path} is not valid JSON ({e.Message}); fix it or run `dp login` again");
        }
    }

    public static void WriteConfig(string path, DpConfigFile config)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        // The file holds a secret: readable by its owner only, from the moment it exists.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, config, new JsonSerializerOptions { WriteIndented = true });
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static ConnectionSettings Resolve(string? urlOption, string? apiKeyOption, DpEnvironment environment, string configPath)
    {
        var config = ReadConfig(configPath);
        var (url, urlSource) = Pick(urlOption, "--url", environment.GetVariable(UrlVariable), UrlVariable, config?.Url, configPath);
        var (apiKey, apiKeySource) = Pick(apiKeyOption, "--api-key", environment.GetVariable(ApiKeyVariable), ApiKeyVariable, config?.ApiKey, configPath);
        if (url is null)
        {
            throw new UsageException($"no gateway URL: pass --url, set {UrlVariable}, or run `dp login --url URL --api-key KEY` (config file {configPath})");
        }
        return new ConnectionSettings(ParseUrl(url, urlSource), apiKey, urlSource!, apiKeySource);
    }

    public static Uri ParseUrl(string url, string? source)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"the gateway URL '{url}' (from {source}) is not an absolute http or https URL");
        }
        // A base path (a gateway behind a prefix) keeps its segments when API paths are appended.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    private static (string? Value, string? Source) Pick(string? option, string optionName, string? variable, string variableName, string? file, string filePath) =>
        !string.IsNullOrWhiteSpace(option) ? (option.Trim(), optionName)
        : !string.IsNullOrWhiteSpace(variable) ? (variable.Trim(), variableName)
        : !string.IsNullOrWhiteSpace(file) ? (file.Trim(), filePath)
        : (null, null);
}
