using System.Text.Json;
using DomainPlatform.Dp.Cli;

namespace DomainPlatform.Dp.Tests;

public sealed class ConnectionTests
{
    private const string Domains = "[]";

    [Fact]
    public async Task An_option_wins_over_the_environment_which_wins_over_the_config_file()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /api/domains", 200, Domains);
        var config = Path.Combine(dp.Home, "dp.json");
        await File.WriteAllTextAsync(config, """{"url": "http://from-file:1/", "apiKey": "dpk_file"}""", TestContext.Current.CancellationToken);
        dp.Environment.Clear();
        dp.Environment["DP_CONFIG"] = config;

        Assert.Equal(0, (await dp.RunAsync("domains", "list")).ExitCode);
        Assert.Equal(("http://from-file:1/api/domains", "Bearer dpk_file"), Last(dp));

        dp.Environment["DP_URL"] = "http://from-env:2";
        dp.Environment["DP_API_KEY"] = "dpk_env";
        Assert.Equal(0, (await dp.RunAsync("domains", "list")).ExitCode);
        Assert.Equal(("http://from-env:2/api/domains", "Bearer dpk_env"), Last(dp));

        Assert.Equal(0, (await dp.RunAsync("domains", "list", "--url", "http://from-option:3", "--api-key", "dpk_option")).ExitCode);
        Assert.Equal(("http://from-option:3/api/domains", "Bearer dpk_option"), Last(dp));

        // Each value on its own: the URL from the option, the key still from the environment.
        Assert.Equal(0, (await dp.RunAsync("domains", "list", "--url", "http://from-option:3")).ExitCode);
        Assert.Equal(("http://from-option:3/api/domains", "Bearer dpk_env"), Last(dp));
    }

    [Fact]
    public async Task A_gateway_behind_a_path_prefix_keeps_it()
    {
        using var dp = new DpRun();
        dp.Environment["DP_URL"] = "https://example.test/platform";
        await dp.RunAsync("domains", "list");
        Assert.Equal("https://example.test/platform/api/domains", Last(dp).Url);
    }

    [Fact]
    public async Task Without_a_gateway_url_the_command_says_how_to_give_one_and_exits_2()
    {
        using var dp = new DpRun();
        dp.Environment.Clear();
        var result = await dp.RunAsync("domains", "list");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no gateway URL: pass --url, set DP_URL, or run `dp login", result.Error);
        Assert.Empty(dp.Gateway.Requests);
    }

    [Theory]
    [InlineData("ftp://gateway")]
    [InlineData("gateway:5100")]
    [InlineData("/relative")]
    public async Task A_url_that_is_not_absolute_http_is_refused_naming_where_it_came_from(string url)
    {
        using var dp = new DpRun();
        dp.Environment["DP_URL"] = url;
        var result = await dp.RunAsync("domains", "list");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"'{url}' (from DP_URL) is not an absolute http or https URL", result.Error);
    }

    [Fact]
    public async Task A_config_file_that_is_not_json_is_named()
    {
        using var dp = new DpRun();
        dp.Environment.Clear();
        var config = Path.Combine(dp.Home, ".config", "dp", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        await File.WriteAllTextAsync(config, "url = x", TestContext.Current.CancellationToken);
        var result = await dp.RunAsync("domains", "list");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"the config file {config} is not valid JSON", result.Error);
    }

    [Fact]
    public async Task Login_checks_the_key_and_writes_a_config_file_only_its_owner_can_read_that_later_commands_use()
    {
        using var dp = new DpRun();
        dp.Environment.Clear();
        dp.Gateway.On("GET /api/keys", 403, """{"title":"Forbidden","status":403}""").On("GET /api/domains", 200, Domains);

        var login = await dp.RunAsync("login", "--url", "http://gateway.test:5100", "--api-key", "dpk_operator_secret");
        Assert.Equal(0, login.ExitCode);
        Assert.Contains("operator or viewer", login.Output);
        var path = Path.Combine(dp.Home, ".config", "dp", "config.json");
        Assert.Contains(path, login.Output);
        using (var saved = JsonDocument.Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken)))
        {
            Assert.Equal("http://gateway.test:5100/", saved.RootElement.GetProperty("url").GetString());
            Assert.Equal("dpk_operator_secret", saved.RootElement.GetProperty("apiKey").GetString());
        }
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        Assert.Equal(0, (await dp.RunAsync("domains", "list")).ExitCode);
        Assert.Equal(("http://gateway.test:5100/api/domains", "Bearer dpk_operator_secret"), Last(dp));
    }

    [Fact]
    public async Task Login_refuses_a_key_the_gateway_does_not_know_and_writes_nothing()
    {
        using var dp = new DpRun();
        dp.Environment.Clear();
        dp.Gateway.On("GET /api/keys", 401, """{"title":"Unauthorized","status":401,"detail":"Unknown or revoked API key."}""");
        var login = await dp.RunAsync("login", "--url", "http://gateway.test:5100", "--api-key", "dpk_wrong");
        Assert.Equal(ExitCodes.ApiError, login.ExitCode);
        Assert.Contains("401 Unauthorized: Unknown or revoked API key.", login.Error);
        Assert.False(File.Exists(Path.Combine(dp.Home, ".config", "dp", "config.json")));
    }

    private static (string Url, string? Authorization) Last(DpRun dp) =>
        (dp.Gateway.Requests[^1].Url.ToString(), dp.Gateway.Requests[^1].Authorization);
}
