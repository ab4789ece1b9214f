using System.CommandLine;

namespace DomainPlatform.Dp.Cli;

/// <summary>Options every command takes (recursive on the root).</summary>
public sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url")
    {
        Description = "The gateway, e.g. http://127.0.0.1:5100 (else DP_URL, else the config file).",
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "The API key to send (else DP_API_KEY, else the config file).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON as it came instead of tables (for scripts).",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "The config file (else DP_CONFIG, else ~/.config/dp/config.json).",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Url, ApiKey, Json, Config];
}
