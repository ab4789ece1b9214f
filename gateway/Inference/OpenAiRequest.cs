using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DomainPlatform.Gateway.Inference;

/// <summary>The OpenAI endpoint a body was sent to: each has its own required fields.</summary>
public enum OpenAiEndpoint { Any, ChatCompletions, Completions, Embeddings }

/// <summary>What was wrong with a body, in OpenAI's terms: a message, the parameter, and a code.</summary>
public sealed record OpenAiRequestError(string Message, string? Param, string? Code);

/// <summary>
/// The parts of an OpenAI completion request the gateway decides on. Parsing never throws on bad input:
/// it returns a reason a client can act on.
/// </summary>
public sealed class OpenAiRequest
{
    private readonly JsonObject _body;

    private OpenAiRequest(JsonObject body, string model)
    {
        _body = body;
        Model = model;
    }

    public string Model { get; }

    public string? User => _body["user"] is JsonValue v && v.TryGetValue(out string? user) && !string.IsNullOrWhiteSpace(user) ? user : null;

    public bool Stream => _body["stream"] is JsonValue v && v.TryGetValue(out bool stream) && stream;

    public double? Temperature => _body["temperature"] is JsonValue v && v.TryGetValue(out double t) ? t : null;

    public long? Seed => _body["seed"] is JsonValue v && v.TryGetValue(out long seed) ? seed : null;

    /// <summary>Same input, same output: temperature 0 or a fixed seed (and not streamed, so the answer can be stored whole).</summary>
    public bool IsDeterministic => !Stream && (Temperature == 0 || Seed is not null);

    /// <summary>The text "auto" routing reads: the user messages of a chat, the prompt of a completion, or the input strings of embeddings.</summary>
    public string PromptText
    {
        get
        {
            var text = new StringBuilder();
            if (_body["messages"] is JsonArray messages)
            {
                foreach (var message in messages.OfType<JsonObject>())
                {
                    if (message["role"]?.GetValueKind() == JsonValueKind.String && message["role"]!.GetValue<string>() != "user") continue;
                    AppendContent(text, message["content"]);
                }
            }
            AppendContent(text, _body["prompt"]);
            // Token-id inputs carry no words to match: only strings are read.
            AppendContent(text, _body["input"]);
            return text.ToString();
        }
    }

    /// <summary>The completion-token limit the client asked for: <c>max_completion_tokens</c> (chat) or <c>max_tokens</c>; null when absent or null.</summary>
    public int? MaxTokens =>
        (_body["max_completion_tokens"] is JsonValue c && c.TryGetValue(out int completion) ? completion : (int?)null)
        ?? (_body["max_tokens"] is JsonValue v && v.TryGetValue(out int max) ? max : null);

    /// <summary>Parses and validates a body of <paramref name="endpoint"/> as OpenAI defines it; never throws on bad input.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out OpenAiRequest? request, out OpenAiRequestError? error,
        OpenAiEndpoint endpoint = OpenAiEndpoint.Any)
    {
        request = null;
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            error = new($"The body is not valid JSON: {ex.Message}", null, OpenAiErrorCodes.InvalidJson);
            return false;
        }

        if (node is not JsonObject body)
        {
            error = new("The body must be a JSON object.", null, OpenAiErrorCodes.InvalidType);
            return false;
        }
        // Strings are decoded lazily: a lone surrogate ("\ud800") would only throw later, deep in the proxy (a 500).
        if (OpenAiBodyRules.FindInvalidString(body, "") is { } badPath)
        {
            error = new($"'{badPath}' holds a string that is not valid UTF-16 (a lone surrogate such as \\ud800).",
                badPath.Length == 0 ? null : badPath, OpenAiErrorCodes.InvalidString);
            return false;
        }
        if (body["model"] is not JsonValue modelValue || !modelValue.TryGetValue(out string? model) || string.IsNullOrWhiteSpace(model))
        {
            error = new("'model' is required: a domain id, an alias of one, or \"auto\" (GET /v1/models lists them).", "model",
                body["model"] is null ? OpenAiErrorCodes.MissingRequired : OpenAiErrorCodes.InvalidType);
            return false;
        }
        error = OpenAiBodyRules.Validate(body, endpoint);
        if (error is not null) return false;

        request = new OpenAiRequest(body, model);
        return true;
    }

    /// <summary>
    /// This request under a domain's completion-token cap: absent or null <c>max_tokens</c> becomes the cap, a larger one is
    /// lowered to it (embeddings have no tokens to cap). The effective limit is returned too; null without a cap.
    /// </summary>
    public (OpenAiRequest Request, int? Applied) WithTokenCap(int? cap, OpenAiEndpoint endpoint)
    {
        if (cap is not > 0 || endpoint == OpenAiEndpoint.Embeddings) return (this, null);
        var applied = Math.Min(MaxTokens ?? cap.Value, cap.Value);
        var copy = (JsonObject)_body.DeepClone();
        var usesCompletionField = copy["max_completion_tokens"] is JsonValue;
        if (usesCompletionField) copy["max_completion_tokens"] = applied;
        if (!usesCompletionField || copy["max_tokens"] is JsonValue) copy["max_tokens"] = applied;
        return (new OpenAiRequest(copy, Model), applied);
    }

    /// <summary>The body with <c>model</c> replaced by the model the chosen variant serves.</summary>
    public byte[] WithModel(string modelId)
    {
        var copy = (JsonObject)_body.DeepClone();
        copy["model"] = modelId;
        return JsonSerializer.SerializeToUtf8Bytes(copy);
    }

    /// <summary>The body as canonical JSON with <c>model</c> removed: what makes two requests "the same" for the cache.</summary>
    public string CanonicalWithoutModel()
    {
        var copy = (JsonObject)_body.DeepClone();
        copy.Remove("model");
        copy.Remove("user");
        return Canonical(copy);
    }

    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };

    private static void AppendContent(StringBuilder text, JsonNode? content)
    {
        switch (content)
        {
            case JsonValue v when v.TryGetValue(out string? s):
                text.Append(s).Append('\n');
                break;
            case JsonArray parts:
                foreach (var part in parts)
                {
                    if (part is JsonObject o) AppendContent(text, o["text"]);
                    else AppendContent(text, part);
                }
                break;
        }
    }
}
