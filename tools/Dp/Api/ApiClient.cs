using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DomainPlatform.Dp.Api;

/// <summary>A response the API accepted: its status and body, as text (for --json) and parsed (for tables).</summary>
public sealed record ApiResponse(int Status, string Body)
{
    public JsonElement Json => Body.Length == 0 ? default : JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>
/// The gateway's HTTP API and nothing else: every call sends the API key (Bearer), a JSON body where the endpoint
/// takes one (absent fields left out, so the service applies its defaults) and none where it takes none.
/// A refusal becomes an <see cref="ApiException"/>, an unreachable gateway a <see cref="GatewayUnreachableException"/>.
/// A 429 (the key's rate limit) is waited out and sent again when its Retry-After is at most
/// <see cref="LongestRateLimitWait"/>, up to <see cref="RateLimitRetries"/> times, each wait said on
/// <paramref name="notices"/>: the gateway refused it before doing anything, so sending it again is safe for every method.
/// </summary>
public sealed class ApiClient(HttpClient http, Uri gateway, TextWriter? notices = null, Func<TimeSpan, CancellationToken, Task>? wait = null)
{
    public static readonly TimeSpan LongestRateLimitWait = TimeSpan.FromSeconds(10);
    public const int RateLimitRetries = 3;

    public static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ApiClient Create(Uri gateway, string? apiKey, HttpMessageHandler handler, TimeSpan timeout, TextWriter? notices = null)
    {
        var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = gateway, Timeout = timeout };
        if (!string.IsNullOrEmpty(apiKey)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("dp", typeof(ApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        return new ApiClient(http, gateway, notices);
    }

    public Uri Gateway => gateway;

    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<ApiResponse> PostAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    public Task<ApiResponse> PutAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, ct);

    public Task<ApiResponse> PatchAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Patch, path, body, ct);

    public Task<ApiResponse> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);

    /// <summary>Sends one request; <paramref name="body"/> null sends no body at all (what no-body endpoints require).</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        for (var retry = 1; ; retry++)
        {
            try
            {
                return await SendOnceAsync(method, path, body, ct);
            }
            catch (ApiException e) when (e.Status == 429 && retry <= RateLimitRetries && e.RetryAfter is { } after && after <= LongestRateLimitWait)
            {
                notices?.WriteLine($"dp: {method} {"/" + path.TrimStart('/')}: rate limited (429), sending it again in {Math.Max(1, after.TotalSeconds):0} s ({retry} of {RateLimitRetries})");
                await (wait ?? Task.Delay)(after, ct);
            }
        }
    }

    private async Task<ApiResponse> SendOnceAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        // Relative to the gateway's URL, so a gateway behind a path prefix keeps it.
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, BodyOptions), Encoding.UTF8, "application/json");
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new GatewayUnreachableException(gateway, e.InnerException?.Message ?? e.Message, e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new GatewayUnreachableException(gateway, $"no answer within {http.Timeout.TotalSeconds:0} s", e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var refusal = ApiException.From(method, "/" + path.TrimStart('/'), (int)response.StatusCode, response.ReasonPhrase, text);
                refusal.RetryAfter = response.Headers.RetryAfter?.Delta;
                throw refusal;
            }
            return new ApiResponse((int)response.StatusCode, text);
        }
    }

    /// <summary>Escapes one path segment (domain ids, versions, aliases) so that no value can change the path.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>A query string from the parameters that have a value.</summary>
    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }
}
