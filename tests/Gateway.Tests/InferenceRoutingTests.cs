using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.Assignment;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Gateway.Tests;

/// <summary>OpenAI requests through the gateway: domain from <c>model</c>, sticky variant, rewritten model, headers.</summary>
public sealed class InferenceRoutingTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private sealed record Echo(string Service, string Path, string Body);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> ChatAsync(HttpClient client, object body, Action<HttpRequestMessage>? configure = null)
    {
        // The table arrives over gRPC shortly after start; until then the gateway says 503.
        return await Eventually.GetAsync(async () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
            configure?.Invoke(request);
            return await client.SendAsync(request, Ct);
        }, r => r.StatusCode != HttpStatusCode.ServiceUnavailable, "the route table to load");
    }

    private static object Chat(string model, string? user = null, string text = "hello") =>
        user is null
            ? new { model, messages = new[] { new { role = "user", content = text } } }
            : new { model, user, messages = new[] { new { role = "user", content = text } } };

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    [Fact]
    public async Task A_domain_alias_routes_to_the_variant_the_assignment_library_picks_with_the_model_rewritten()
    {
        var client = await factory.CreateClientAsync("client");
        var canary = new CanarySplit(TestRoutes.SqlSalt, 10);
        foreach (var user in Enumerable.Range(0, 60).Select(i => $"user-{i}"))
        {
            var response = await ChatAsync(client, Chat("sql", user));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var expected = canary.IsCanary(user) ? ("canary", "1.3.0", "inference-canary") : ("stable", "1.2.0", "inference");
            Assert.Equal(TestRoutes.Sql, Header(response, "X-Route-Domain"));
            Assert.Equal(expected.Item1, Header(response, "X-Route-Variant"));
            Assert.Equal(expected.Item2, Header(response, "X-Route-Model-Version"));

            var echo = (await response.Content.ReadFromJsonAsync<Echo>(Ct))!;
            Assert.Equal(expected.Item3, echo.Service);
            Assert.Equal($"{TestRoutes.Sql}@{expected.Item2}", JsonDocument.Parse(echo.Body).RootElement.GetProperty("model").GetString());
        }
    }

    [Fact]
    public async Task The_same_user_keeps_the_same_variant_and_both_variants_serve_someone()
    {
        var client = await factory.CreateClientAsync("client");
        var seen = new Dictionary<string, string>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var user in Enumerable.Range(0, 40).Select(i => $"sticky-{i}"))
            {
                var variant = Header(await ChatAsync(client, Chat(TestRoutes.Sql, user)), "X-Route-Variant");
                Assert.Equal(seen.GetValueOrDefault(user, variant), variant);
                seen[user] = variant;
            }
        }
        Assert.Equal(["canary", "stable"], seen.Values.Distinct().Order());
    }

    [Fact]
    public async Task Without_a_user_field_the_x_user_id_header_is_the_assignment_key_and_then_the_api_key()
    {
        var client = await factory.CreateClientAsync("client");
        var canary = new CanarySplit(TestRoutes.SqlSalt, 10);
        var canaryUser = Enumerable.Range(0, 1000).Select(i => $"h-{i}").First(u => canary.IsCanary(u));
        var response = await ChatAsync(client, Chat("sql"), r => r.Headers.Add("X-User-Id", canaryUser));
        Assert.Equal("canary", Header(response, "X-Route-Variant"));

        // With neither, every request of one key lands on one variant.
        var variants = new HashSet<string>();
        for (var i = 0; i < 10; i++) variants.Add(Header(await ChatAsync(client, Chat("sql")), "X-Route-Variant"));
        Assert.Single(variants);
    }

    [Fact]
    public async Task Operators_may_force_a_variant_and_clients_may_not()
    {
        var canary = new CanarySplit(TestRoutes.SqlSalt, 10);
        var stableUser = Enumerable.Range(0, 1000).Select(i => $"f-{i}").First(u => !canary.IsCanary(u));
        var @operator = await factory.CreateClientAsync("operator");
        var forced = await ChatAsync(@operator, Chat("sql", stableUser), r => r.Headers.Add("X-Force-Variant", "canary"));
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Equal("canary", Header(forced, "X-Route-Variant"));

        var unknown = await ChatAsync(@operator, Chat("sql", stableUser), r => r.Headers.Add("X-Force-Variant", "shadow"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        var client = await factory.CreateClientAsync("client");
        var refused = await ChatAsync(client, Chat("sql", stableUser), r => r.Headers.Add("X-Force-Variant", "canary"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("insufficient_permissions", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("please write a SQL query over the orders table", TestRoutes.Sql)]
    [InlineData("where in the manual is the documentation of exports?", TestRoutes.Docs)]
    public async Task Auto_picks_the_domain_whose_keywords_the_prompt_uses(string prompt, string domain)
    {
        var client = await factory.CreateClientAsync("client");
        var response = await ChatAsync(client, Chat("auto", "u1", prompt));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(domain, Header(response, "X-Route-Domain"));
    }

    [Theory]
    [InlineData("""{"model":"0x9999-Nope","messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.NotFound, "0x9999-Nope")]
    [InlineData("""{"model":"auto","messages":[{"role":"user","content":"hello there"}]}""", HttpStatusCode.NotFound, "auto")]
    [InlineData("""{"model":"sql","messages":""", HttpStatusCode.BadRequest, "JSON")]
    [InlineData("""{"messages":[]}""", HttpStatusCode.BadRequest, "model")]
    [InlineData("""[1,2]""", HttpStatusCode.BadRequest, "object")]
    public async Task Bad_requests_get_openai_errors_that_say_what_was_wrong(string body, HttpStatusCode status, string mentioned)
    {
        var client = await factory.CreateClientAsync("client");
        var response = await Eventually.GetAsync(
            () => client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable, "the route table to load");
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(mentioned, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var client = await factory.CreateClientAsync("client");
        var huge = new string('x', 2 * 1024 * 1024);
        var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("sql", "u", huge), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("code").GetString());

        var management = await (await factory.CreateClientAsync("operator")).PostAsJsonAsync("/api/experiments", new { huge }, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, management.StatusCode);
        Assert.Equal("application/problem+json", management.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_routed_requests_duration_metric_carries_its_domain_variant_and_model_version()
    {
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        var seen = new ConcurrentQueue<Dictionary<string, object?>>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "http.server.request.duration") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var all = new Dictionary<string, object?>();
            foreach (var tag in tags) all[tag.Key] = tag.Value;
            seen.Enqueue(all);
        });
        listener.Start();
        var client = await factory.CreateClientAsync("client");
        var canary = new CanarySplit(TestRoutes.SqlSalt, 10);
        var user = Enumerable.Range(0, 1000).Select(i => $"m-{i}").First(u => canary.IsCanary(u));

        var response = await ChatAsync(client, Chat("sql", user));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The measurement is taken as the request ends, just after the client has the response.
        var measured = await Eventually.GetAsync(() => Task.FromResult(seen.FirstOrDefault(t => Equals(t.GetValueOrDefault("platform.domain"), TestRoutes.Sql))),
            t => t is not null, "the request's duration to be measured");
        Assert.Equal(("canary", "1.3.0"), (measured!["platform.variant"], measured["platform.model_version"]));
    }
}
