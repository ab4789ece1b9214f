using System.Text.Json;
using DomainPlatform.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// The official OpenAI npm client against the gateway on a real port, in both versions openai-client/package.json pins:
/// 6.30.1 (the one the issue was found with) and the newest the registry served when it was last updated (7.59.0).
/// </summary>
public sealed class OpenAiClientTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static readonly NodeScripts Client = new(Path.Combine(TestInfrastructure.RepositoryRoot, "tests", "Gateway.Tests", "openai-client"));

    [Theory]
    [InlineData("openai")]
    [InlineData("openai-latest")]
    public async Task The_openai_npm_client_uses_the_listed_models_streams_and_calls_and_shows_the_gateways_error_messages(string clientPackage)
    {
        var ct = TestContext.Current.CancellationToken;
        await Client.EnsureInstalledAsync(clientPackage, ct);
        // A server of its own on a real port for each case (a factory's Kestrel can be chosen only before it first starts).
        await using var served = factory.WithWebHostBuilder(_ => { });
        served.UseKestrel(0);
        served.StartServer();
        var baseUrl = served.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1";
        var key = await factory.CreateKeyAsync("client");
        // Let the streamed answer through at once: this test is about the client, not the timing of chunks.
        factory.Backend("inference").StreamGate.Release();

        var output = await Eventually.GetAsync(async () =>
        {
            var (exitCode, stdout, stderr) = await Client.RunAsync("node", ["chat.mjs", baseUrl, key, clientPackage], ct);
            return exitCode == 0 ? stdout : "failed: " + stderr;
        }, o => !o.StartsWith("failed:", StringComparison.Ordinal) || !o.Contains("503"), "the gateway to load its routes");

        Assert.DoesNotContain("failed:", output);
        using var seen = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal(2, seen.RootElement.GetProperty("chunks").GetInt32());
        Assert.Equal("first", seen.RootElement.GetProperty("text").GetString());
        Assert.Equal(200, seen.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(TestRoutes.Docs, seen.RootElement.GetProperty("domain").GetString());
        Assert.Equal("stable", seen.RootElement.GetProperty("variant").GetString());

        var ids = seen.RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetString()!).ToList();
        Assert.Equal([TestRoutes.Docs, "docs", TestRoutes.Sql, "sql", "auto"], ids);
        Assert.All(ids, id => Assert.Equal(200, seen.RootElement.GetProperty("served").GetProperty(id).GetInt32()));

        // The client shows the gateway's own message, not "(no body)".
        var wrongModel = seen.RootElement.GetProperty("wrongModel");
        Assert.Equal((404, "model_not_found", "NotFoundError"),
            (wrongModel.GetProperty("status").GetInt32(), wrongModel.GetProperty("code").GetString(), wrongModel.GetProperty("name").GetString()));
        Assert.Contains("no-such-model", wrongModel.GetProperty("message").GetString());
        var wrongKey = seen.RootElement.GetProperty("wrongKey");
        Assert.Equal((401, "invalid_api_key", "AuthenticationError"),
            (wrongKey.GetProperty("status").GetInt32(), wrongKey.GetProperty("code").GetString(), wrongKey.GetProperty("name").GetString()));
        Assert.Contains("not valid", wrongKey.GetProperty("message").GetString());
        var badParameter = seen.RootElement.GetProperty("badParameter");
        Assert.Equal((400, "temperature", "BadRequestError"),
            (badParameter.GetProperty("status").GetInt32(), badParameter.GetProperty("param").GetString(), badParameter.GetProperty("name").GetString()));
        Assert.DoesNotContain("no body", badParameter.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("openai-latest")]
    public async Task The_openai_npm_client_shows_the_gateways_rate_limit_message_and_its_retry_after(string clientPackage)
    {
        var ct = TestContext.Current.CancellationToken;
        await Client.EnsureInstalledAsync(clientPackage, ct);
        await using var limited = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Gateway:RateLimit:Capacity", "1");
            b.UseSetting("Gateway:RateLimit:RefillPerSecond", "0.001");
        });
        limited.UseKestrel(0);
        limited.StartServer();
        var baseUrl = limited.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1";
        var key = await factory.CreateKeyAsync("client");

        var (exitCode, stdout, stderr) = await Client.RunAsync("node", ["ratelimit.mjs", baseUrl, key, clientPackage], ct);

        Assert.True(exitCode == 0, $"node ratelimit.mjs exited with {exitCode}: {stderr}");
        using var seen = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var refused = seen.RootElement.GetProperty("refused");
        Assert.Equal((429, "rate_limit_exceeded", "RateLimitError"),
            (refused.GetProperty("status").GetInt32(), refused.GetProperty("code").GetString(), refused.GetProperty("name").GetString()));
        Assert.Contains("retry in", refused.GetProperty("message").GetString());
        Assert.True(int.Parse(refused.GetProperty("retryAfter").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }
}
