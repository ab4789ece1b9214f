using System.Text.Json;
using DomainPlatform.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Gateway.Tests;

/// <summary>The official OpenAI npm client (pinned in openai-client/package.json) against the gateway on a real port.</summary>
public sealed class OpenAiClientTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static readonly NodeScripts Client = new(Path.Combine(TestInfrastructure.RepositoryRoot, "tests", "Gateway.Tests", "openai-client"));

    [Fact]
    public async Task The_openai_npm_client_streams_and_calls_through_the_gateway()
    {
        var ct = TestContext.Current.CancellationToken;
        await Client.EnsureInstalledAsync("openai", ct);
        factory.UseKestrel(0);
        factory.StartServer();
        var baseUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1";
        var key = await factory.CreateKeyAsync("client");
        // Let the streamed answer through at once: this test is about the client, not the timing of chunks.
        factory.Backend("inference").StreamGate.Release();

        var output = await Eventually.GetAsync(async () =>
        {
            var (exitCode, stdout, stderr) = await Client.RunAsync("node", ["chat.mjs", baseUrl, key, "docs"], ct);
            return exitCode == 0 ? stdout : "failed: " + stderr;
        }, o => !o.StartsWith("failed:", StringComparison.Ordinal) || !o.Contains("503"), "the gateway to load its routes");

        Assert.DoesNotContain("failed:", output);
        using var seen = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal(2, seen.RootElement.GetProperty("chunks").GetInt32());
        Assert.Equal("first", seen.RootElement.GetProperty("text").GetString());
        Assert.Equal(200, seen.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(TestRoutes.Docs, seen.RootElement.GetProperty("domain").GetString());
        Assert.Equal("stable", seen.RootElement.GetProperty("variant").GetString());
    }
}
