using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Each role against each kind of API, through the real gateway, keys created through the admin API.</summary>
public sealed class AuthMatrixTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    public static TheoryData<string, string, string, HttpStatusCode> Matrix()
    {
        var data = new TheoryData<string, string, string, HttpStatusCode>();
        void Row(string method, string path, HttpStatusCode admin, HttpStatusCode @operator, HttpStatusCode viewer, HttpStatusCode client, HttpStatusCode none)
        {
            data.Add("admin", method, path, admin);
            data.Add("operator", method, path, @operator);
            data.Add("viewer", method, path, viewer);
            data.Add("client", method, path, client);
            data.Add("none", method, path, none);
        }
        const HttpStatusCode ok = HttpStatusCode.OK, forbidden = HttpStatusCode.Forbidden, unauthorized = HttpStatusCode.Unauthorized;
        Row("GET", "/api/keys", ok, forbidden, forbidden, forbidden, unauthorized);
        Row("GET", "/api/keys/me", ok, ok, ok, ok, unauthorized);
        Row("GET", "/api/domains", ok, ok, ok, forbidden, unauthorized);
        Row("POST", "/api/domains", ok, ok, forbidden, forbidden, unauthorized);
        Row("DELETE", "/api/experiments/1", ok, ok, forbidden, forbidden, unauthorized);
        Row("GET", "/api/training/jobs", HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, forbidden, unauthorized);
        Row("POST", "/v1/chat/completions", ok, ok, forbidden, ok, unauthorized);
        Row("GET", "/v1/models", ok, ok, forbidden, ok, unauthorized);
        // Inference's figures per model: read by viewers and above (the fake inference answers any path); no method but GET and HEAD routes.
        Row("GET", "/api/inference/models", ok, ok, ok, forbidden, unauthorized);
        Row("POST", "/api/inference/models", HttpStatusCode.MethodNotAllowed, HttpStatusCode.MethodNotAllowed, HttpStatusCode.MethodNotAllowed,
            HttpStatusCode.MethodNotAllowed, HttpStatusCode.MethodNotAllowed);
        Row("GET", "/api/openapi", ok, ok, ok, ok, ok);
        Row("GET", "/openapi/deployment/v1.json", ok, ok, ok, ok, ok);
        Row("GET", "/openapi/v1.json", ok, ok, ok, ok, ok);
        Row("GET", "/health", ok, ok, ok, ok, ok);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Role_gets_the_expected_status(string role, string method, string path, HttpStatusCode expected)
    {
        var client = role == "none" ? factory.CreateClient() : factory.CreateClient(await KeyFor(role));
        var ct = TestContext.Current.CancellationToken;
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = JsonContent.Create(ChatBody);

        var response = await Eventually.GetAsync(() => client.SendAsync(Clone(request), ct),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable || path == "/health", "the gateway to be ready");

        Assert.Equal(expected, response.StatusCode);
        if (expected is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // OpenAI clients read OpenAI's error body on /v1; everything else is problem details.
            Assert.Equal(path.StartsWith("/v1/", StringComparison.Ordinal) ? "application/json" : "application/problem+json",
                response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("operator")]
    public async Task A_key_reads_its_own_name_and_role_but_not_its_secret(string role)
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await KeyFor(role);
        var response = await factory.CreateClient(key).GetAsync("/api/keys/me", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(ct);
        var me = JsonDocument.Parse(body).RootElement;
        Assert.Equal(role, me.GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(me.GetProperty("name").GetString()));
        Assert.DoesNotContain(key, body);
    }

    [Fact]
    public async Task An_unknown_key_is_refused_with_a_reason()
    {
        var client = factory.CreateClient("dpk_not-a-real-key");
        var response = await client.GetAsync("/api/domains", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_x_api_key_header_works_like_a_bearer_token()
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", await KeyFor("viewer"));
        var response = await client.GetAsync("/api/domains", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_stops_working_and_is_listed_as_revoked()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = factory.CreateClient(factory.AdminKey);
        var created = await (await admin.PostAsJsonAsync("/api/keys", new { name = "to revoke", role = "operator" }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var key = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString()!;
        var user = factory.CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/domains", ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/keys/{id}", ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.GetAsync("/api/domains", ct)).StatusCode);
        Assert.DoesNotContain(id, await admin.GetStringAsync("/api/keys", ct));
        Assert.Contains(id, await admin.GetStringAsync("/api/keys?includeRevoked=true", ct));
    }

    [Fact]
    public async Task Keys_are_listed_without_secrets_and_bad_requests_say_what_was_wrong()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = factory.CreateClient(factory.AdminKey);
        var listed = await admin.GetStringAsync("/api/keys", ct);
        Assert.DoesNotContain(factory.AdminKey, listed);
        Assert.Contains("\"role\":\"admin\"", listed);

        var bad = await admin.PostAsJsonAsync("/api/keys", new { name = "", role = "root" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var body = await bad.Content.ReadAsStringAsync(ct);
        Assert.Contains("name", body);
        Assert.Contains("role", body);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/keys/{Guid.NewGuid()}", ct)).StatusCode);
    }

    [Fact]
    public async Task The_last_admin_key_cannot_be_revoked()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = factory.CreateClient(factory.AdminKey);
        var keys = await admin.GetFromJsonAsync<JsonElement>("/api/keys", ct);
        var admins = keys.EnumerateArray().Where(k => k.GetProperty("role").GetString() == "admin").ToList();
        // Other tests in this class may add admin keys; revoke all but one, then the last must refuse.
        foreach (var extra in admins.Skip(1))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/keys/{extra.GetProperty("id").GetString()}", ct)).StatusCode);
        }
        var last = await admin.DeleteAsync($"/api/keys/{admins[0].GetProperty("id").GetString()}", ct);
        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
    }

    private readonly Dictionary<string, string> _keys = [];

    private async Task<string> KeyFor(string role)
    {
        if (role == "admin") return factory.AdminKey;
        if (!_keys.TryGetValue(role, out var key)) _keys[role] = key = await factory.CreateKeyAsync(role);
        return key;
    }

    private static HttpRequestMessage Clone(HttpRequestMessage request) =>
        new(request.Method, request.RequestUri) { Content = request.Content is null ? null : JsonContent.Create(ChatBody) };

    private static readonly object ChatBody = new { model = "sql", messages = new[] { new { role = "user", content = "hi" } } };
}
