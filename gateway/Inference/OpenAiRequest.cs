using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DomainPlatform.Gateway.Inference;

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

    /// <summary>The text "auto" routing reads: the user messages of a chat, or the prompt of a completion.</summary>
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
            return text.ToString();
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> json, out OpenAiRequest? request, out string? error)
    {
        request = null;
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return false;
        }

        if (node is not JsonObject body)
        {
            error = "The body must be a JSON object.";
            return false;
        }
        if (body["model"] is not JsonValue modelValue || !modelValue.TryGetValue(out string? model) || string.IsNullOrWhiteSpace(model))
        {
            error = "'model' is required: a domain id, an alias of one, or \"auto\".";
            return false;
        }

        request = new OpenAiRequest(body, model);
        error = null;
        return true;
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
