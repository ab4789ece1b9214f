using System.Text.Json;
using DomainPlatform.Gateway.Inference;

namespace DomainPlatform.Gateway.Outcomes;

/// <summary>
/// Whose fault a routed request's failure was. The variant's answer blames the client when it refuses the request itself
/// (400, 413, 415, 422: a parameter only inference refuses, such as <c>n: 2</c>), except for a context length exceeded,
/// which depends on the variant's model. Everything else (404 for a model the variant should serve, 408, 429 from a full
/// queue, 5xx, timeouts, transport failures) is the variant's.
/// </summary>
public static class OutcomeClassifier
{
    public static bool IsClientError(int status, string? errorCode, out string reason)
    {
        reason = errorCode ?? OpenAiProblemDetailsWriter.TypeFor(status);
        return status is StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge
                   or StatusCodes.Status415UnsupportedMediaType or StatusCodes.Status422UnprocessableEntity
               && errorCode != OpenAiErrorCodes.ContextLengthExceeded;
    }

    /// <summary>The <c>error.code</c> of an OpenAI error body (or of the type when it has no code), or null when the text is no such body.</summary>
    public static string? ErrorCode(string body)
    {
        if (body.Length == 0 || body.TrimStart() is not ['{', ..]) return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object) return null;
            if (error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String) return code.GetString();
            return error.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
