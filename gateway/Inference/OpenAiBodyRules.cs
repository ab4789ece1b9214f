using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DomainPlatform.Gateway.Inference;

/// <summary>
/// The gateway's check of an OpenAI body before it chooses a variant: the types and ranges OpenAI documents, so that a
/// client's mistake is refused here (and counted as the client's) instead of failing on a variant. Inference keeps its
/// own, stricter rules (what llama.cpp can do); what only it refuses is still the client's fault (see the outcome).
/// </summary>
public static class OpenAiBodyRules
{
    public const int MaxStopSequences = 4;
    public const int MaxChoices = 128;

    public static OpenAiRequestError? Validate(JsonObject body, OpenAiEndpoint endpoint)
    {
        var required = endpoint switch
        {
            OpenAiEndpoint.ChatCompletions => Messages(body),
            OpenAiEndpoint.Completions => StringOrArray(body, "prompt", required: true),
            OpenAiEndpoint.Embeddings => StringOrArray(body, "input", required: true),
            _ => null,
        };
        return required
            ?? Integer(body, "max_tokens", 1, int.MaxValue)
            ?? Integer(body, "max_completion_tokens", 1, int.MaxValue)
            ?? Number(body, "temperature", 0, 2)
            ?? Number(body, "top_p", 0, 1)
            ?? Number(body, "presence_penalty", -2, 2)
            ?? Number(body, "frequency_penalty", -2, 2)
            ?? Integer(body, "n", 1, MaxChoices)
            ?? Integer(body, "seed", long.MinValue, long.MaxValue)
            ?? OfKind(body, "stream", JsonValueKind.True, JsonValueKind.False)
            ?? OfKind(body, "user", JsonValueKind.String)
            ?? OfKind(body, "stream_options", JsonValueKind.Object)
            ?? Stop(body);
    }

    /// <summary>The path of the first string (value or property name) that is not valid UTF-16, or null when all are.</summary>
    public static string? FindInvalidString(JsonNode? node, string path)
    {
        try
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (FindInvalidString(value, path.Length == 0 ? key : $"{path}.{key}") is { } inner) return inner;
                    }
                    return null;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (FindInvalidString(array[i], $"{path}[{i}]") is { } inner) return inner;
                    }
                    return null;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    _ = value.GetValue<string>();
                    return null;
                default:
                    return null;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or FormatException)
        {
            return path;
        }
    }

    private static OpenAiRequestError? Messages(JsonObject body)
    {
        if (body["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return body["messages"] is null
                ? new("'messages' is required: a non-empty array of {role, content} objects.", "messages", OpenAiErrorCodes.MissingRequired)
                : new("'messages' must be a non-empty array of {role, content} objects.", "messages", OpenAiErrorCodes.InvalidType);
        }
        for (var i = 0; i < messages.Count; i++)
        {
            var param = $"messages[{i}]";
            if (messages[i] is not JsonObject message)
            {
                return new($"'{param}' must be an object with role and content.", param, OpenAiErrorCodes.InvalidType);
            }
            if (message["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String)
            {
                return new($"'{param}.role' is required and must be a string.", $"{param}.role", OpenAiErrorCodes.InvalidType);
            }
            var content = message["content"];
            if (content is not null && content.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
            {
                return new($"'{param}.content' must be a string or an array of content parts.", $"{param}.content", OpenAiErrorCodes.InvalidType);
            }
        }
        return null;
    }

    private static OpenAiRequestError? StringOrArray(JsonObject body, string name, bool required)
    {
        var node = body[name];
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return required ? new($"'{name}' is required: a string or an array.", name, OpenAiErrorCodes.MissingRequired) : null;
        }
        return node.GetValueKind() is JsonValueKind.String or JsonValueKind.Array
            ? null
            : new($"'{name}' must be a string or an array, was {Describe(node)}.", name, OpenAiErrorCodes.InvalidType);
    }

    private static OpenAiRequestError? Stop(JsonObject body)
    {
        var node = body["stop"];
        if (node is null) return null;
        switch (node.GetValueKind())
        {
            case JsonValueKind.Null:
            case JsonValueKind.String:
                return null;
            case JsonValueKind.Array when node is JsonArray { Count: <= MaxStopSequences } array
                                          && array.All(s => s?.GetValueKind() == JsonValueKind.String):
                return null;
            default:
                return new($"'stop' must be a string or an array of at most {MaxStopSequences} strings.", "stop", OpenAiErrorCodes.InvalidType);
        }
    }

    private static OpenAiRequestError? Number(JsonObject body, string name, double min, double max)
    {
        var node = body[name];
        if (node is null || node.GetValueKind() == JsonValueKind.Null) return null;
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out double value))
        {
            return new($"'{name}' must be a number, was {Describe(node)}.", name, OpenAiErrorCodes.InvalidType);
        }
        return value >= min && value <= max
            ? null
            : new($"'{name}' must be between {Format(min)} and {Format(max)}, was {node.ToJsonString()}.", name, OpenAiErrorCodes.OutOfRange);
    }

    private static OpenAiRequestError? Integer(JsonObject body, string name, long min, long max)
    {
        var node = body[name];
        if (node is null || node.GetValueKind() == JsonValueKind.Null) return null;
        if (node.GetValueKind() != JsonValueKind.Number)
        {
            return new($"'{name}' must be an integer, was {Describe(node)}.", name, OpenAiErrorCodes.InvalidType);
        }
        var text = node.ToJsonString();
        if (text.AsSpan().IndexOfAny(".eE") >= 0)
        {
            return new($"'{name}' must be an integer, was {text}.", name, OpenAiErrorCodes.InvalidType);
        }
        if (node.AsValue().TryGetValue(out long value) && value >= min && value <= max) return null;
        var range = max == long.MaxValue ? "a 64-bit integer" : $"between {min} and {max}";
        return new($"'{name}' must be {range}, was {text}.", name, OpenAiErrorCodes.OutOfRange);
    }

    private static OpenAiRequestError? OfKind(JsonObject body, string name, params JsonValueKind[] kinds)
    {
        var node = body[name];
        if (node is null || node.GetValueKind() == JsonValueKind.Null || kinds.Contains(node.GetValueKind())) return null;
        var expected = kinds[0] switch
        {
            JsonValueKind.True => "a boolean",
            JsonValueKind.String => "a string",
            JsonValueKind.Object => "an object",
            _ => kinds[0].ToString(),
        };
        return new($"'{name}' must be {expected}, was {Describe(node)}.", name, OpenAiErrorCodes.InvalidType);
    }

    private static string Describe(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
