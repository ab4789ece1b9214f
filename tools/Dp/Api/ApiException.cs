using System.Text;
using System.Text.Json;

namespace DomainPlatform.Dp.Api;

/// <summary>
/// The gateway or a service refused a request. Carries what its answer said: problem details (RFC 9457: title,
/// detail, errors by field) on /api/..., OpenAI's error shape on /v1/..., or the bare text of anything else.
/// </summary>
public sealed class ApiException(HttpMethod method, string path, int status, string? title, string? detail, IReadOnlyDictionary<string, string[]> errors, string body)
    : Exception(Describe(method, path, status, title, detail, errors))
{
    public int Status { get; } = status;
    public string? Title { get; } = title;
    public string? Detail { get; } = detail;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
    /// <summary>The response body as it came, for --json.</summary>
    public string Body { get; } = body;
    /// <summary>The answer's Retry-After, when it named one (a 429, a 503).</summary>
    public TimeSpan? RetryAfter { get; internal set; }

    public static ApiException From(HttpMethod method, string path, int status, string? reason, string body)
    {
        string? title = null, detail = null;
        var errors = new Dictionary<string, string[]>();
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var openAi) && openAi.ValueKind == JsonValueKind.Object)
            {
                title = Text(openAi, "code") ?? Text(openAi, "type");
                detail = Text(openAi, "message");
                if (Text(openAi, "param") is { } param && detail is not null) errors[param] = [detail];
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                title = Text(root, "title");
                detail = Text(root, "detail");
                if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in fields.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : m.GetRawText()).ToArray()
                            : [field.Value.ToString()];
                    }
                }
            }
        }
        catch (JsonException)
        {
            detail = string.IsNullOrWhiteSpace(body) ? null : body.Trim();
        }
        return new ApiException(method, path, status, title ?? reason, detail, errors, body);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Describe(HttpMethod method, string path, int status, string? title, string? detail, IReadOnlyDictionary<string, string[]> errors)
    {
        var text = new StringBuilder($"{method} {path}: {status}");
        if (!string.IsNullOrWhiteSpace(title)) text.Append(' ').Append(title);
        if (!string.IsNullOrWhiteSpace(detail) && detail != title) text.Append(": ").Append(detail);
        foreach (var (field, messages) in errors)
        {
            foreach (var message in messages)
            {
                // OpenAI's param repeats the message it names: once is enough.
                if (message == detail && errors.Count == 1) continue;
                text.Append('\n').Append("  ").Append(field).Append(": ").Append(message);
            }
        }
        return text.ToString();
    }
}

/// <summary>Nothing answered at the gateway's URL: connection refused, no such host, or no answer in time.</summary>
public sealed class GatewayUnreachableException(Uri gateway, string reason, Exception inner)
    : Exception($"cannot reach the gateway at {gateway}: {reason}", inner);
