using System.Net;
using System.Text;
using System.Text.Json;
using DomainPlatform.TestSupport;
using Npgsql;

namespace DomainPlatform.Gateway.Tests;

/// <summary>/v1/embeddings through the gateway: routed by domain like chat, the model rewritten to the variant's, the outcome recorded.</summary>
public sealed class EmbeddingsRoutingTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> EmbedAsync(HttpClient client, string body, string requestId) =>
        Eventually.GetAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Request-Id", requestId);
            return client.SendAsync(request, Ct);
        }, r => r.StatusCode != HttpStatusCode.ServiceUnavailable, "the route table to load");

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    [Fact]
    public async Task An_embeddings_request_reaches_the_domains_variant_with_its_model_and_its_outcome_is_recorded()
    {
        var client = await factory.CreateClientAsync("client");
        var id = "embed-" + Guid.NewGuid().ToString("N");
        using var response = await EmbedAsync(client, """{"model":"docs","input":["the manual","chapter two"],"encoding_format":"base64"}""", id);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(TestRoutes.Docs, Header(response, "X-Route-Domain"));
        Assert.Equal("stable", Header(response, "X-Route-Variant"));
        // Embeddings have no completion tokens to cap: the domain's maxTokens is not added to the body.
        Assert.Equal("", Header(response, "X-Route-Max-Tokens"));

        var echo = JsonDocument.Parse(text).RootElement;
        Assert.Equal(("inference", "/v1/embeddings"), (echo.GetProperty("service").GetString(), echo.GetProperty("path").GetString()));
        var sent = JsonDocument.Parse(echo.GetProperty("body").GetString()!).RootElement;
        Assert.Equal(TestRoutes.Docs + "@2.0.0", sent.GetProperty("model").GetString());
        Assert.Equal(2, sent.GetProperty("input").GetArrayLength());
        Assert.Equal("base64", sent.GetProperty("encoding_format").GetString());
        Assert.False(sent.TryGetProperty("max_tokens", out _));

        var evt = await OutboxEventAsync(id);
        Assert.Equal((TestRoutes.Docs, "stable", 200, true, false),
            (evt.GetProperty("domain").GetString(), evt.GetProperty("variant").GetString(), evt.GetProperty("statusCode").GetInt32(),
             evt.GetProperty("succeeded").GetBoolean(), evt.GetProperty("clientError").GetBoolean()));
        // The fake inference's usage: prompt_tokens 11.
        Assert.Equal(11, evt.GetProperty("tokensIn").GetInt32());
    }

    [Fact]
    public async Task Auto_routes_embeddings_by_the_words_of_their_input()
    {
        var client = await factory.CreateClientAsync("client");
        using var response = await EmbedAsync(client, """{"model":"auto","input":["which sql table holds the orders"]}""", "embed-auto-" + Guid.NewGuid().ToString("N"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(TestRoutes.Sql, Header(response, "X-Route-Domain"));
    }

    [Fact]
    public async Task An_embeddings_body_without_input_is_refused_before_routing_as_the_clients_error()
    {
        var client = await factory.CreateClientAsync("client");
        using var response = await EmbedAsync(client, """{"model":"docs"}""", "embed-bad-" + Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("input", JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    private async Task<JsonElement> OutboxEventAsync(string requestId)
    {
        async Task<string?> Payload()
        {
            await using var connection = new NpgsqlConnection(factory.Database.ConnectionString());
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand(
                "SELECT payload::text FROM outbox_messages WHERE event_name = 'domainplatform.inference-completed' AND payload->>'requestId' = @id", connection);
            command.Parameters.AddWithValue("id", requestId);
            return (string?)await command.ExecuteScalarAsync(Ct);
        }
        var payload = await Eventually.GetAsync(Payload, p => p is not null, $"InferenceCompleted for {requestId} in the outbox");
        return JsonDocument.Parse(payload!).RootElement;
    }
}
