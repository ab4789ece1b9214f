using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// The official OpenAI npm client, in both versions openai-client/package.json pins (6.30.1 and 7.59.0), through the gateway to the real
/// inference service serving a deployed GGUF model: the id from models.list(), streaming and not, a completion, embeddings,
/// and the gateway's errors.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenAiClientTests(PlatformFixture platform)
{
    private static readonly NodeScripts Client = new(Path.Combine(TestInfrastructure.RepositoryRoot, "tests", "EndToEnd.Tests", "openai-client"));

    [Theory]
    [InlineData("openai")]
    [InlineData("openai-latest")]
    public async Task The_openai_npm_client_takes_the_model_from_the_list_chats_streams_completes_embeds_and_shows_the_gateways_errors(string clientPackage)
    {
        var ct = TestContext.Current.CancellationToken;
        await Client.EnsureInstalledAsync(clientPackage, ct);
        using var client = platform.CreateClient();
        var api = new GatewayApi(client);
        var domain = GatewayApi.NewDomainId("NpmAgent");
        await api.CreateDomainAsync(domain, minSamples: 3);
        await api.RegisterAsync(domain, "1.0.0", GatewayApi.DemoModelPath);
        await api.DeployStableAsync(domain, "1.0.0");
        // The route table reaches the gateway by event: wait until it serves the domain.
        await Eventually.GetAsync(() => api.ChatAsync(domain, "npm-user"), o => o.Status == 200, $"the gateway to serve {domain}");

        var (exitCode, stdout, stderr) = await Client.RunAsync("node", ["chat.mjs", new Uri(platform.Gateway, "v1").ToString(), platform.AdminKey!, domain, clientPackage], ct);

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

        Assert.Equal("text_completion", seen.RootElement.GetProperty("completion").GetProperty("object").GetString());
        var embeddings = seen.RootElement.GetProperty("embeddings");
        Assert.Equal(2, embeddings.GetProperty("count").GetInt32());
        Assert.True(embeddings.GetProperty("dimensions").GetInt32() > 0, stdout);
        Assert.InRange(embeddings.GetProperty("norm").GetDouble(), 0.999, 1.001);
        // base64 decoded by the client and floats sent as JSON are the same vector.
        Assert.InRange(embeddings.GetProperty("maxDifferenceFromFloats").GetDouble(), 0, 1e-6);
        Assert.True(embeddings.GetProperty("promptTokens").GetInt32() > 0, stdout);

        // The id came from models.list(), which lists domains (never a model file) with their creation time.
        var listed = seen.RootElement.GetProperty("listed");
        Assert.Contains("auto", listed.GetProperty("ids").EnumerateArray().Select(i => i.GetString()));
        Assert.DoesNotContain(listed.GetProperty("ids").EnumerateArray(), i => i.GetString()!.Contains('@'));
        Assert.True(listed.GetProperty("created").GetInt64() > 0, stdout);
        // The gateway's own errors reach the client with their messages.
        var wrongModel = seen.RootElement.GetProperty("wrongModel");
        Assert.Equal((404, "model_not_found"), (wrongModel.GetProperty("status").GetInt32(), wrongModel.GetProperty("code").GetString()));
        Assert.Contains("@9.9.9", wrongModel.GetProperty("message").GetString());
        var wrongKey = seen.RootElement.GetProperty("wrongKey");
        Assert.Equal((401, "invalid_api_key"), (wrongKey.GetProperty("status").GetInt32(), wrongKey.GetProperty("code").GetString()));
        Assert.Contains("not valid", wrongKey.GetProperty("message").GetString());
    }
}
