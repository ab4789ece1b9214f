using System.Net.Http.Json;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

/// <summary>The services audit changes by X-Actor; through the gateway it names the calling key, whatever the client sends.</summary>
public sealed class ActorHeaderTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private sealed record Echo(string Service, string Method, string[] Actors);

    [Theory]
    [InlineData("POST", "/api/domains", "deployment")]
    [InlineData("DELETE", "/api/rollouts/42", "deployment")]
    [InlineData("POST", "/api/experiments", "experimentation")]
    [InlineData("GET", "/api/audit", "deployment")]
    public async Task A_client_sent_x_actor_never_reaches_a_service_and_the_key_is_named_instead(string method, string path, string service)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = factory.CreateClient(await factory.CreateKeyAsync("operator", "ops-bot"));
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET" && method != "DELETE") request.Content = JsonContent.Create(new { id = "x" });
        request.Headers.TryAddWithoutValidation("X-Actor", ["mallory", "root"]);
        request.Headers.TryAddWithoutValidation("x-actor", "eve");

        using var response = await client.SendAsync(request, ct);
        var echo = await response.Content.ReadFromJsonAsync<Echo>(ct);

        Assert.Equal(service, echo!.Service);
        Assert.Equal(["key:ops-bot (operator)"], echo.Actors);
    }

    [Fact]
    public async Task Inference_requests_carry_the_key_as_actor_too()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = factory.CreateClient(await factory.CreateKeyAsync("client", "chat-app"));
        // The table arrives over gRPC shortly after start; until then the gateway says 503.
        using var response = await Eventually.GetAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = TestRoutes.Docs, messages = new[] { new { role = "user", content = "hi" } } }),
            };
            request.Headers.Add("X-Actor", "key:bootstrap admin (admin)");
            return await client.SendAsync(request, ct);
        }, r => r.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable, "the route table to load");
        var echo = await response.Content.ReadFromJsonAsync<Echo>(ct);

        Assert.Equal(["key:chat-app (client)"], echo!.Actors);
    }

    [Theory]
    [InlineData("équipe données")]
    [InlineData("100% bot")]
    [InlineData("運用")]
    // Control characters never get this far: a key's name refuses them (the input rule).
    [InlineData("quote\" and emoji \U0001F916")]
    public async Task Any_key_name_travels_percent_encoded_and_decodes_back_exactly(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = factory.CreateClient(await factory.CreateKeyAsync("admin", name));

        var echo = await client.GetFromJsonAsync<Echo>("/api/domains", ct);

        var sent = Assert.Single(echo!.Actors);
        Assert.All(sent, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal($"key:{name} (admin)", Uri.UnescapeDataString(sent));
    }

    [Fact]
    public void Printable_ascii_is_sent_as_it_is_and_the_rest_percent_encoded()
    {
        Assert.Equal("key:ops-bot (operator)", ActorHeader.Encode("key:ops-bot (operator)"));
        Assert.Equal("a%25b%0Ac%C3%A9", ActorHeader.Encode("a%b\nc\u00e9"));
    }
}
