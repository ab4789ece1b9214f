using System.Net;
using System.Security.Cryptography;
using System.Text;
using DomainPlatform.Assignment;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;
using Npgsql;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Outcome events, feedback, the response cache, retries and streaming, through the running gateway.</summary>
public sealed class OutcomeAndCacheTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    private async Task<HttpResponseMessage> SendAsync(HttpClient client, object body, string? requestId = null) =>
        await Eventually.GetAsync(async () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
            if (requestId is not null) request.Headers.Add("X-Request-Id", requestId);
            return await client.SendAsync(request, Ct);
        }, r => r.StatusCode != HttpStatusCode.ServiceUnavailable, "the route table to load");

    private async Task<JsonElement> OutboxEventAsync(string eventName, string requestId)
    {
        var payload = await Eventually.GetAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(factory.Database.ConnectionString());
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand(
                "SELECT payload::text FROM outbox_messages WHERE event_name = @name AND payload->>'requestId' = @id", connection);
            command.Parameters.AddWithValue("name", eventName);
            command.Parameters.AddWithValue("id", requestId);
            return (string?)await command.ExecuteScalarAsync(Ct);
        }, p => p is not null, $"{eventName} for {requestId} in the outbox");
        return JsonDocument.Parse(payload!).RootElement;
    }

    [Fact]
    public async Task Every_routed_request_publishes_inference_completed_with_usage_and_a_hashed_key()
    {
        var client = await factory.CreateClientAsync("client");
        var requestId = "req-" + Guid.NewGuid().ToString("N");
        var response = await SendAsync(client, new { model = "docs", user = "alice@example.com", messages = new[] { new { role = "user", content = "hi" } } }, requestId);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(requestId, Header(response, "X-Request-Id"));

        var evt = await OutboxEventAsync("domainplatform.inference-completed", requestId);
        Assert.Equal(TestRoutes.Docs, evt.GetProperty("domain").GetString());
        Assert.Equal("stable", evt.GetProperty("variant").GetString());
        Assert.Equal("2.0.0", evt.GetProperty("modelVersion").GetString());
        Assert.Equal((11, 7, 200), (evt.GetProperty("tokensIn").GetInt32(), evt.GetProperty("tokensOut").GetInt32(), evt.GetProperty("statusCode").GetInt32()));
        Assert.True(evt.GetProperty("succeeded").GetBoolean());
        Assert.True(evt.GetProperty("latencyMs").GetDouble() > 0);
        var keyHash = evt.GetProperty("assignmentKeyHash").GetString()!;
        // Keyed with the platform secret: the same as the library gives under it, never the plain SHA-256 a guess could match.
        Assert.Equal(new AssignmentKeyHasher(GatewayFactory.AssignmentKeySecret).Hash("alice@example.com"), keyHash);
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("alice@example.com")))[..16], keyHash);
        Assert.DoesNotContain("alice", evt.GetRawText());
    }

    [Fact]
    public async Task Feedback_names_the_domain_and_variant_that_served_the_request()
    {
        var client = await factory.CreateClientAsync("client");
        var requestId = "req-" + Guid.NewGuid().ToString("N");
        await SendAsync(client, new { model = "sql", user = "bob", messages = new[] { new { role = "user", content = "hi" } } }, requestId);
        await OutboxEventAsync("domainplatform.inference-completed", requestId);

        var accepted = await Eventually.GetAsync(async () =>
        {
            var r = await client.PostAsJsonAsync("/v1/feedback", new { requestId, thumbsUp = true, score = 0.9, label = "correct" }, Ct);
            return await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
        }, a => a.GetProperty("domain").ValueKind == JsonValueKind.String, "the request's route to be remembered");
        Assert.Equal(TestRoutes.Sql, accepted.GetProperty("domain").GetString());

        var evt = await OutboxEventAsync("domainplatform.feedback-received", requestId);
        Assert.Equal((TestRoutes.Sql, 0.9, true, "correct"),
            (evt.GetProperty("domain").GetString(), evt.GetProperty("score").GetDouble(), evt.GetProperty("thumbsUp").GetBoolean(), evt.GetProperty("label").GetString()));
    }

    [Theory]
    [InlineData("""{"score":0.5}""", "requestId")]
    [InlineData("""{"requestId":"r1"}""", "score")]
    [InlineData("""{"requestId":"r1","score":1.5}""", "score")]
    [InlineData("""{"requestId":"r1","thumbsUp":"yes"}""", "thumbsUp")]
    public async Task Bad_feedback_is_refused_with_the_field_named(string body, string field)
    {
        var client = await factory.CreateClientAsync("client");
        var response = await client.PostAsync("/v1/feedback", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Deterministic_requests_are_answered_from_the_cache_and_others_never()
    {
        var client = await factory.CreateClientAsync("client");
        var backend = factory.Backend("inference");
        var question = "cache me " + Guid.NewGuid();
        object Body(double temperature, bool stream = false) => new { model = "docs", temperature, stream, messages = new[] { new { role = "user", content = question } } };

        var first = await SendAsync(client, Body(0));
        var before = backend.Requests;
        var second = await SendAsync(client, Body(0));
        Assert.Equal(("MISS", "HIT"), (Header(first, "X-Cache"), Header(second, "X-Cache")));
        Assert.Equal(before, backend.Requests);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal(TestRoutes.Docs, Header(second, "X-Route-Domain"));

        var sampled = await SendAsync(client, Body(0.7));
        await SendAsync(client, Body(0.7));
        Assert.Equal("", Header(sampled, "X-Cache"));
        Assert.Equal(before + 2, backend.Requests);
    }

    [Fact]
    public async Task A_dead_instance_is_skipped_by_retrying_on_another_before_the_first_byte()
    {
        var client = await factory.CreateClientAsync("client");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/embeddings", Ct)).StatusCode);
            var chat = await SendAsync(client, new { model = "docs", user = $"r{i}", messages = new[] { new { role = "user", content = "hi" } } });
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }
    }

    [Fact]
    public async Task Streamed_answers_pass_through_chunk_by_chunk()
    {
        var client = await factory.CreateClientAsync("client");
        var backend = factory.Backend("inference");
        // Warm up so the route table is loaded before the streamed request.
        await SendAsync(client, new { model = "docs", messages = new[] { new { role = "user", content = "hi" } } });

        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "docs", stream = true, temperature = 0, messages = new[] { new { role = "user", content = "stream" } } }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", Header(response, "X-Cache"));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));

        // The backend holds the rest until we release it, so this line can only arrive unbuffered.
        var firstLine = await reader.ReadLineAsync(Ct);
        Assert.Contains("first", firstLine);
        backend.StreamGate.Release();
        var rest = await reader.ReadToEndAsync(Ct);
        Assert.Contains("[DONE]", rest);
    }
}
