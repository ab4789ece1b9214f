using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// The OpenAI contract of /v1 through the running gateway: the model list is what routing accepts, every error the
/// gateway makes is OpenAI's error body, bodies are checked before a variant is chosen, and domains cap max_tokens.
/// </summary>
public sealed class OpenAiContractTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Echo(string Service, string Path, string Body);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    /// <summary>Sends once the gateway has its route table (503 before).</summary>
    private static Task<HttpResponseMessage> SendAsync(HttpClient client, Func<HttpRequestMessage> request) =>
        Eventually.GetAsync(() => client.SendAsync(request(), Ct), r => r.StatusCode != HttpStatusCode.ServiceUnavailable, "the route table to load");

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client, string body, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(client, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(body) };
            configure?.Invoke(request);
            return request;
        });

    private static string Chat(string model, string text = "hello", string extra = "") =>
        $$"""{"model":{{JsonSerializer.Serialize(model)}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]{{extra}}}""";

    /// <summary>The OpenAI error of a response, after checking it is one: JSON with message, type, param and code.</summary>
    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), text);
        return error;
    }

    [Fact]
    public async Task The_model_list_is_exactly_the_ids_chat_accepts_each_with_owner_and_creation_time()
    {
        var client = await factory.CreateClientAsync("client");
        var listed = await SendAsync(client, () => new HttpRequestMessage(HttpMethod.Get, "/v1/models"));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var list = await listed.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("list", list.GetProperty("object").GetString());
        var models = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([TestRoutes.Docs, "docs", TestRoutes.Sql, "sql", "auto"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m => Assert.Equal(("model", "domainplatform"), (m.GetProperty("object").GetString(), m.GetProperty("owned_by").GetString())));
        var created = models.ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("created").GetInt64());
        Assert.Equal((TestRoutes.DocsCreated, TestRoutes.SqlCreated, TestRoutes.SqlCreated), (created["docs"], created[TestRoutes.Sql], created["auto"]));

        foreach (var id in created.Keys)
        {
            // "auto" needs a prompt naming some domain; every other id routes as it is.
            var chat = await ChatAsync(client, Chat(id, "a sql query please"));
            Assert.True(chat.StatusCode == HttpStatusCode.OK, $"'{id}' from /v1/models: {(int)chat.StatusCode} {await chat.Content.ReadAsStringAsync(Ct)}");
            var completion = await SendAsync(client, () => new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = Json($$"""{"model":{{JsonSerializer.Serialize(id)}},"prompt":"a sql query please"}"""),
            });
            Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/models/{Uri.EscapeDataString(id)}", Ct)).StatusCode);
        }

        var missing = await ErrorOf(await client.GetAsync("/v1/models/0x0001-Outside@1.0.0", Ct), HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", missing.GetProperty("code").GetString());
        // A pinned model version is not a model a client may name: not listed, and refused the same way.
        var pinned = await ErrorOf(await ChatAsync(client, Chat(TestRoutes.Docs + "@2.0.0")), HttpStatusCode.NotFound);
        Assert.Equal(("model_not_found", "model"), (pinned.GetProperty("code").GetString(), pinned.GetProperty("param").GetString()));
    }

    [Fact]
    public async Task Every_error_the_gateway_makes_on_v1_is_an_openai_error_and_api_errors_stay_problem_details()
    {
        var nobody = factory.CreateClient();
        var wrongKey = factory.CreateClient("dpk_not-a-real-key");
        var viewer = await factory.CreateClientAsync("viewer");
        var client = await factory.CreateClientAsync("client");

        var unauthenticated = await ErrorOf(await nobody.PostAsync("/v1/chat/completions", Json(Chat("docs")), Ct), HttpStatusCode.Unauthorized);
        Assert.Equal(("invalid_request_error", "invalid_api_key"), (unauthenticated.GetProperty("type").GetString(), unauthenticated.GetProperty("code").GetString()));
        var wrong = await ErrorOf(await wrongKey.GetAsync("/v1/models", Ct), HttpStatusCode.Unauthorized);
        Assert.Contains("not valid", wrong.GetProperty("message").GetString());
        var forbidden = await ErrorOf(await viewer.PostAsync("/v1/chat/completions", Json(Chat("docs")), Ct), HttpStatusCode.Forbidden);
        Assert.Equal("insufficient_permissions", forbidden.GetProperty("code").GetString());

        var unknownModel = await ErrorOf(await ChatAsync(client, Chat("0x9999-Nope")), HttpStatusCode.NotFound);
        Assert.Equal(("invalid_request_error", "model_not_found", "model"),
            (unknownModel.GetProperty("type").GetString(), unknownModel.GetProperty("code").GetString(), unknownModel.GetProperty("param").GetString()));
        Assert.Contains("0x9999-Nope", unknownModel.GetProperty("message").GetString());
        var unknownPath = await ErrorOf(await client.PostAsync("/v1/assistants", Json("{}"), Ct), HttpStatusCode.NotFound);
        Assert.Equal("unknown_url", unknownPath.GetProperty("code").GetString());

        var tooLarge = await ErrorOf(await client.PostAsync("/v1/chat/completions", Json(Chat("docs", new string('x', 2 * 1024 * 1024))), Ct),
            HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("request_too_large", tooLarge.GetProperty("code").GetString());

        var feedback = await ErrorOf(await client.PostAsync("/v1/feedback", Json("""{"requestId":"r1","score":1.5}"""), Ct), HttpStatusCode.BadRequest);
        Assert.Equal(("invalid_request_error", "score"), (feedback.GetProperty("type").GetString(), feedback.GetProperty("param").GetString()));

        var management = await nobody.GetAsync("/api/domains", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, management.StatusCode);
        Assert.Equal("application/problem+json", management.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_rate_limited_v1_request_gets_an_openai_rate_limit_error_with_retry_after()
    {
        await using var limited = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Gateway:RateLimit:Capacity", "1");
            b.UseSetting("Gateway:RateLimit:RefillPerSecond", "0.001");
        });
        var client = limited.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await factory.CreateKeyAsync("client"));
        await client.GetAsync("/v1/models", Ct);
        var refused = await client.GetAsync("/v1/models", Ct);
        var error = await ErrorOf(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal(("requests", "rate_limit_exceeded"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Theory]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"\ud800"}]}""", "messages[0].content", "invalid_string")]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"hi \udfff there"}],"user":"u"}""", "messages[0].content", "invalid_string")]
    [InlineData("""{"model":"docs","user":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "user", "invalid_string")]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"hi"}],"max_tokens":-5}""", "max_tokens", "out_of_range")]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens", "out_of_range")]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"hi"}],"temperature":7}""", "temperature", "out_of_range")]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature", "invalid_type")]
    [InlineData("""{"model":"docs","messages":"hi"}""", "messages", "invalid_type")]
    [InlineData("""{"model":"docs","messages":[{"role":"user","content":"hi"}""", null, "invalid_json")]
    public async Task Bad_bodies_are_refused_with_400_naming_the_parameter_never_a_500(string body, string? param, string code)
    {
        var client = await factory.CreateClientAsync("client");
        var error = await ErrorOf(await ChatAsync(client, body), HttpStatusCode.BadRequest);
        Assert.Equal(("invalid_request_error", param, code),
            (error.GetProperty("type").GetString(), error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task A_domains_max_tokens_is_the_default_and_the_ceiling()
    {
        var client = await factory.CreateClientAsync("client");
        async Task<(int? Sent, string Header)> SentMaxTokens(string model, string extra)
        {
            var response = await ChatAsync(client, Chat(model, "count", extra));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var echo = (await response.Content.ReadFromJsonAsync<Echo>(Ct))!;
            var sent = JsonDocument.Parse(echo.Body).RootElement;
            return (sent.TryGetProperty("max_tokens", out var max) ? max.GetInt32() : null, Header(response, "X-Route-Max-Tokens"));
        }

        var cap = TestRoutes.DocsMaxTokens;
        Assert.Equal((cap, $"{cap}"), await SentMaxTokens("docs", ""));
        Assert.Equal((cap, $"{cap}"), await SentMaxTokens("docs", ""","max_tokens":null"""));
        Assert.Equal((cap, $"{cap}"), await SentMaxTokens("docs", ""","max_tokens":100000"""));
        Assert.Equal((5, "5"), await SentMaxTokens("docs", ""","max_tokens":5"""));
        // A domain without a cap of its own leaves the request as it is.
        Assert.Equal((null, ""), await SentMaxTokens("sql", ""));
        Assert.Equal((900, "900"), await SentMaxTokens("sql", ""","max_tokens":900"""));
    }

    [Fact]
    public async Task A_generation_that_outlasts_the_gateways_timeout_gets_an_openai_timeout_error_saying_what_to_do()
    {
        await using var impatient = factory.WithWebHostBuilder(b => b.UseSetting("Gateway:InferenceTimeout", "00:00:01"));
        var client = impatient.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await factory.CreateKeyAsync("client"));
        var response = await ChatAsync(client, Chat("docs"), r => r.Headers.Add(FakeBackend.HangHeader, "1"));
        var error = await ErrorOf(response, HttpStatusCode.GatewayTimeout);
        Assert.Equal(("server_error", "timeout"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains($"up to {TestRoutes.DocsMaxTokens} tokens", message);
        Assert.Contains("stream", message);
    }

    [Fact]
    public async Task Requests_refused_before_routing_are_counted_as_client_errors_and_never_as_a_variant_outcome()
    {
        var counted = new ConcurrentDictionary<string, long>();
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "gateway.inference.client_errors") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var reason = tags.ToArray().FirstOrDefault(t => t.Key == "reason").Value as string ?? "";
            counted.AddOrUpdate(reason, value, (_, n) => n + value);
        });
        listener.Start();

        var client = await factory.CreateClientAsync("client");
        var refusedIds = new List<string>();
        foreach (var body in new[]
                 {
                     Chat("docs", "hi", ""","max_tokens":-5"""), Chat("docs", "hi", ""","temperature":9"""), "{\"model\":\"docs\"", Chat("0x9999-Nope"),
                     """{"model":"docs","messages":[{"role":"user","content":"\ud800"}]}""",
                 })
        {
            var id = "refused-" + Guid.NewGuid().ToString("N");
            refusedIds.Add(id);
            var response = await ChatAsync(client, body, r => r.Headers.Add("X-Request-Id", id));
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound);
        }
        var served = "served-" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client, Chat("docs"), r => r.Headers.Add("X-Request-Id", served))).StatusCode);

        // Outcomes reach the outbox in the order the requests ended: once the later one is there, an earlier one would be too.
        await OutboxEventAsync(served);
        foreach (var id in refusedIds) Assert.Null(await OutboxPayloadAsync(id));
        listener.RecordObservableInstruments();
        Assert.True(counted.GetValueOrDefault("out_of_range") >= 2, string.Join(", ", counted));
        Assert.True(counted.GetValueOrDefault("invalid_json") >= 1 && counted.GetValueOrDefault("model_not_found") >= 1
                    && counted.GetValueOrDefault("invalid_string") >= 1, string.Join(", ", counted));
    }

    [Theory]
    [InlineData(400, "invalid_request_error", true)]
    [InlineData(400, "context_length_exceeded", false)]
    [InlineData(422, "", true)]
    [InlineData(429, "rate_limit_exceeded", false)]
    [InlineData(500, "", false)]
    public async Task A_variant_refusing_the_clients_own_mistake_is_a_client_error_and_its_own_failure_is_not(int status, string code, bool clientError)
    {
        var client = await factory.CreateClientAsync("client");
        var id = "upstream-" + Guid.NewGuid().ToString("N");
        var response = await ChatAsync(client, Chat("docs", "hi", ""","n":2"""), r =>
        {
            r.Headers.Add("X-Request-Id", id);
            r.Headers.Add(FakeBackend.StatusHeader, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (code.Length > 0) r.Headers.Add(FakeBackend.CodeHeader, code);
        });
        Assert.Equal(status, (int)response.StatusCode);

        var evt = await OutboxEventAsync(id);
        Assert.Equal((status, false, clientError),
            (evt.GetProperty("statusCode").GetInt32(), evt.GetProperty("succeeded").GetBoolean(), evt.GetProperty("clientError").GetBoolean()));
        Assert.Equal("stable", evt.GetProperty("variant").GetString());
    }

    private async Task<string?> OutboxPayloadAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(factory.Database.ConnectionString());
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT payload::text FROM outbox_messages WHERE event_name = 'domainplatform.inference-completed' AND payload->>'requestId' = @id", connection);
        command.Parameters.AddWithValue("id", requestId);
        return (string?)await command.ExecuteScalarAsync(Ct);
    }

    private async Task<JsonElement> OutboxEventAsync(string requestId)
    {
        var payload = await Eventually.GetAsync(() => OutboxPayloadAsync(requestId), p => p is not null, $"InferenceCompleted for {requestId} in the outbox");
        return JsonDocument.Parse(payload!).RootElement;
    }
}
