using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DomainPlatform.TestSupport;

/// <summary>The bad-input check every service's API tests make: a raw body gets 400 problem details naming what was wrong.</summary>
public static class ProblemAssertions
{
    /// <summary>Posts <paramref name="body"/> as JSON and returns the failure to report, or null when the answer is as expected.</summary>
    public static async Task<string?> BadRequestNamingAsync(HttpClient client, string path, string body, string mentioned, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.BadRequest) return $"POST {path} {body}: expected 400, got {(int)response.StatusCode} {text}";
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"POST {path} {body}: expected application/problem+json, got {response.Content.Headers.ContentType?.MediaType}";
        }
        return text.Contains(mentioned, StringComparison.Ordinal) ? null : $"POST {path} {body}: the problem does not mention '{mentioned}': {text}";
    }

    /// <summary>
    /// Sends <paramref name="content"/> and returns the failure to report, or null when the answer is a 400 problem
    /// whose <c>errors</c> name <paramref name="field"/> (the API's own spelling: "name", "tags[0]", "gates.minAccuracy").
    /// </summary>
    public static async Task<string?> FieldRefusedAsync(HttpClient client, HttpMethod method, string path, HttpContent? content, string field, CancellationToken ct)
    {
        var sent = content is null ? "(no body)" : await content.ReadAsStringAsync(ct);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var what = $"{method} {path} {sent}";
        if (response.StatusCode != HttpStatusCode.BadRequest) return $"{what}: expected 400, got {(int)response.StatusCode} {text}";
        if (NotInDocumentedShape(path, response, text) is { } shape) return $"{what}: {shape}";
        using var problem = JsonDocument.Parse(text);
        if (IsOpenAiPath(path))
        {
            return problem.RootElement.GetProperty("error").TryGetProperty("param", out var param) && param.GetString() == field
                ? null
                : $"{what}: the error's param is not '{field}': {text}";
        }
        return problem.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object && errors.TryGetProperty(field, out _)
            ? null
            : $"{what}: the problem's errors do not name '{field}': {text}";
    }

    /// <summary>
    /// Why an error answer is not in the shape its path documents (null when it is): OpenAI's
    /// <c>{"error":{"message","type","param","code"}}</c> on <c>/v1/...</c>, problem details (RFC 9457) elsewhere.
    /// </summary>
    public static string? NotInDocumentedShape(string path, HttpResponseMessage response, string text)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (!IsOpenAiPath(path))
        {
            return mediaType == "application/problem+json" ? null : $"expected application/problem+json, got {mediaType} {text}";
        }
        try
        {
            using var body = JsonDocument.Parse(text);
            return mediaType == "application/json" && body.RootElement.TryGetProperty("error", out var error)
                   && error.TryGetProperty("message", out var message) && !string.IsNullOrEmpty(message.GetString())
                   && error.TryGetProperty("type", out _)
                ? null
                : $"expected OpenAI's error body, got {mediaType} {text}";
        }
        catch (JsonException)
        {
            return $"expected OpenAI's error body, got {mediaType} {text}";
        }
    }

    private static bool IsOpenAiPath(string path) => path.StartsWith("/v1/", StringComparison.Ordinal);

    /// <summary>A JSON body exactly as written (escapes such as \u0000 reach the server as written).</summary>
    public static HttpContent Json(string body) => new StringContent(body, Encoding.UTF8, "application/json");

    /// <summary>A body of raw bytes labelled as JSON, for bytes that are not UTF-8.</summary>
    public static HttpContent JsonBytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The hostile strings every stored text field is tried with, as JSON string literals: a NUL and a lone surrogate.</summary>
    public static readonly IReadOnlyList<string> HostileStrings = ["\"a\\u0000b\"", "\"a\\ud800b\"", "\"\\udc00\""];

    /// <summary>The numbers no field accepts, as JSON: beyond double's range, and the named literals as quoted strings.</summary>
    public static readonly IReadOnlyList<string> HostileNumbers = ["1e400", "-1e400", "\"NaN\"", "\"Infinity\"", "\"-Infinity\""];
}
