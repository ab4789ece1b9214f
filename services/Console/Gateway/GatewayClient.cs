using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Authorization;

namespace DomainPlatform.Console.Gateway;

/// <summary>
/// The gateway's HTTP API, called server-side with the signed-in user's API key (the same endpoints and JSON as
/// <c>dp</c>). A refusal becomes a <see cref="GatewayProblem"/> carrying the status and the problem details.
/// </summary>
public sealed class GatewayClient(IHttpClientFactory factory, AuthenticationStateProvider authentication)
{
    public const string HttpClientName = "gateway";

    public Task<JsonElement> GetAsync(string path, CancellationToken ct = default) => SendAsync(HttpMethod.Get, path, null, null, ct);

    public Task<JsonElement> PostAsync(string path, object? body, CancellationToken ct = default) => SendAsync(HttpMethod.Post, path, body, null, ct);

    /// <summary>The key's own id, name and role (<c>GET /api/keys/me</c>), or the gateway's refusal.</summary>
    public async Task<SignedInKey> IdentifyAsync(string key, CancellationToken ct = default)
    {
        var me = await SendAsync(HttpMethod.Get, "api/keys/me", null, key, ct);
        return new SignedInKey(me.Str("id"), me.Str("name"), me.Str("role"));
    }

    /// <summary>
    /// A document the gateway serves as it is (a report's CSV or HTML), with its content type, for a plain HTTP endpoint:
    /// the key comes from its request's signed-in user (outside a component there is no authentication state to ask).
    /// </summary>
    public async Task<(string Text, string ContentType)> GetDocumentAsync(string path, string key, CancellationToken ct = default)
    {
        var (text, type) = await SendRawAsync(HttpMethod.Get, path, null, key, ct);
        return (text, type ?? "application/octet-stream");
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, string? key, CancellationToken ct)
    {
        var (text, _) = await SendRawAsync(method, path, body, key, ct);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(string Text, string? ContentType)> SendRawAsync(HttpMethod method, string path, object? body, string? key, CancellationToken ct)
    {
        key ??= (await authentication.GetAuthenticationStateAsync()).User.FindFirstValue(ConsoleClaims.ApiKey)
            ?? throw new GatewayProblem(401, "Not signed in", "Sign in with an API key first.");
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await factory.CreateClient(HttpClientName).SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new GatewayProblem(502, "Gateway unreachable", e.InnerException?.Message ?? e.Message);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is OperationCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            // No answer in time, or the resilience handler gave up: a problem on the page, never a broken circuit.
            throw new GatewayProblem(504, "No answer from the gateway", e.Message);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw GatewayProblem.From(method, path, (int)response.StatusCode, response.ReasonPhrase, text);
            return (text, response.Content.Headers.ContentType?.ToString());
        }
    }

    /// <summary>Escapes one path segment (domain ids, versions) so that no value can change the path.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}

/// <summary>Who signed in: the key's id, name and role as the gateway knows them.</summary>
public sealed record SignedInKey(string Id, string Name, string Role)
{
    public bool MayOperate => Role is "operator" or "admin";
}

/// <summary>The claims of a console sign-in (kept in its encrypted cookie).</summary>
public static class ConsoleClaims
{
    public const string ApiKey = "dp:api_key";
    public const string KeyId = "dp:key_id";

    public static bool MayOperate(this ClaimsPrincipal user) => user.IsInRole("operator") || user.IsInRole("admin");
}

/// <summary>The gateway or a service refused a request: its status, and the title and detail of its problem details.</summary>
public sealed class GatewayProblem(int status, string title, string? detail) : Exception($"{status} {title}: {detail}")
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;

    public bool IsForbidden => Status == 403;

    public static GatewayProblem From(HttpMethod method, string path, int status, string? reason, string body)
    {
        string? title = null, detail = null;
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                title = root.Str("title") is { Length: > 0 } t ? t : root.Str("error.code");
                detail = root.Str("detail") is { Length: > 0 } d ? d : root.Str("error.message");
                if (root.Get("errors") is { ValueKind: JsonValueKind.Object } errors)
                {
                    detail = string.Join(" ", new[] { detail }.Concat(errors.EnumerateObject().Select(e => $"{e.Name}: {Json.Format(e.Value)}")).Where(x => !string.IsNullOrEmpty(x)));
                }
            }
        }
        catch (JsonException)
        {
            detail = string.IsNullOrWhiteSpace(body) ? null : body.Trim();
        }
        return new GatewayProblem(status, string.IsNullOrEmpty(title) ? reason ?? "Error" : title, $"{method} /{path.TrimStart('/')}: {detail}");
    }
}
