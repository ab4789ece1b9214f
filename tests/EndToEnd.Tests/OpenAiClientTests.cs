using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// The official OpenAI npm client (pinned in openai-client/package.json) through the gateway to the real
/// inference service serving a deployed GGUF model: streaming and not.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenAiClientTests(PlatformFixture platform)
{
    private static readonly NodeScripts Client = new(Path.Combine(TestInfrastructure.RepositoryRoot, "tests", "EndToEnd.Tests", "openai-client"));

    [Fact]
    public async Task The_openai_npm_client_streams_and_calls_a_deployed_model_through_the_gateway()
    {
        var ct = TestContext.Current.CancellationToken;
        await Client.EnsureInstalledAsync("openai", ct);
        using var client = platform.CreateClient();
        var api = new GatewayApi(client);
        var domain = GatewayApi.NewDomainId("NpmAgent");
        await api.CreateDomainAsync(domain, minSamples: 3);
        await api.RegisterAsync(domain, "1.0.0", GatewayApi.DemoModelPath);
        await api.DeployStableAsync(domain, "1.0.0");
        // The route table reaches the gateway by event: wait until it serves the domain.
        await Eventually.GetAsync(() => api.ChatAsync(domain, "npm-user"), o => o.Status == 200, $"the gateway to serve {domain}");

        var (exitCode, stdout, stderr) = await Client.RunAsync("node", ["chat.mjs", new Uri(platform.Gateway, "v1").ToString(), platform.AdminKey!, domain], ct);

        Assert.True(exitCode == 0, $"node chat.mjs exited with {exitCode}: {stderr}");
        using var seen = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var stream = seen.RootElement.GetProperty("stream");
        var plain = seen.RootElement.GetProperty("plain");
        // A model of random weights may say little, so the checks are on the protocol, not on the words.
        Assert.True(stream.GetProperty("chunks").GetInt32() >= 1, stdout);
        Assert.Contains(stream.GetProperty("finishReason").GetString(), new[] { "stop", "length" });
        Assert.Equal(200, plain.GetProperty("status").GetInt32());
        Assert.Equal("chat.completion", plain.GetProperty("object").GetString());
        Assert.Equal(JsonValueKind.String, plain.GetProperty("content").ValueKind);
        Assert.InRange(plain.GetProperty("completionTokens").GetInt32(), 0, 8);
        Assert.Equal(domain, seen.RootElement.GetProperty("domain").GetString());
        Assert.Equal("stable", seen.RootElement.GetProperty("variant").GetString());
        Assert.Equal("1.0.0", seen.RootElement.GetProperty("modelVersion").GetString());
    }
}
