using System.ComponentModel.DataAnnotations;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DomainPlatform.Inference.Domain;

/// <summary>The body of POST /v1/embeddings (OpenAI's fields; input stays JsonElement until validation).</summary>
public sealed record EmbeddingRequestBody
{
    [Required, JsonPropertyName("model")] public string? Model { get; init; }
    /// <summary>A string, an array of strings, an array of token ids, or an array of arrays of token ids.</summary>
    [Required, JsonPropertyName("input")] public JsonElement? Input { get; init; }
    [AllowedValues("float", "base64"), JsonPropertyName("encoding_format")] public string? EncodingFormat { get; init; }
    [JsonPropertyName("dimensions")] public int? Dimensions { get; init; }
    [JsonPropertyName("user")] public string? User { get; init; }
}

/// <summary>One input: text to tokenize, or the token ids themselves.</summary>
public sealed record EmbeddingInput(string? Text, int[]? Tokens);

/// <summary>A validated embeddings request.</summary>
public sealed record EmbeddingSpec(string Model, IReadOnlyList<EmbeddingInput> Inputs, bool Base64, int? Dimensions);

public sealed record ValidatedEmbeddingRequest(EmbeddingSpec? Spec, OpenAiError? Error)
{
    public static implicit operator ValidatedEmbeddingRequest(EmbeddingSpec spec) => new(spec, null);
    public static implicit operator ValidatedEmbeddingRequest(OpenAiError error) => new(null, error);
}

/// <summary>Turns an OpenAI embeddings body into an <see cref="EmbeddingSpec"/>, refusing what OpenAI refuses.</summary>
public static class EmbeddingRequestRules
{
    /// <summary>OpenAI's limit on the inputs of one request.</summary>
    public const int MaxInputs = 2048;

    public static ValidatedEmbeddingRequest Validate(EmbeddingRequestBody request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return OpenAiError.InvalidRequest("'model' is required: the id of a loaded model (see GET /v1/models).", "model");
        }
        var base64 = request.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => (bool?)null,
        };
        if (base64 is null)
        {
            return OpenAiError.InvalidRequest($"encoding_format must be 'float' or 'base64', was '{request.EncodingFormat}'.", "encoding_format");
        }
        if (request.Dimensions is < 1)
        {
            return OpenAiError.InvalidRequest($"dimensions must be a positive integer, was {request.Dimensions}.", "dimensions");
        }
        if (ReadInputs(request.Input, out var inputs) is { } error)
        {
            return error;
        }
        return new EmbeddingSpec(request.Model, inputs, base64.Value, request.Dimensions);
    }

    private static OpenAiError? ReadInputs(JsonElement? input, out List<EmbeddingInput> inputs)
    {
        inputs = [];
        const string Shape = "'input' must be a non-empty string, an array of non-empty strings, an array of token ids or an array of arrays of token ids.";
        if (input is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return OpenAiError.InvalidRequest("'input' is required. " + Shape, "input");
        }
        if (element.ValueKind == JsonValueKind.String)
        {
            if (ReadString(element, "input", out var text) is { } stringError)
            {
                return stringError;
            }
            if (text.Length == 0)
            {
                return OpenAiError.InvalidRequest("'input' is an empty string; there is nothing to embed.", "input");
            }
            inputs.Add(new EmbeddingInput(text, null));
            return null;
        }
        if (element.ValueKind != JsonValueKind.Array)
        {
            return OpenAiError.InvalidRequest(Shape, "input");
        }
        var count = element.GetArrayLength();
        if (count == 0)
        {
            return OpenAiError.InvalidRequest("'input' is an empty array; there is nothing to embed.", "input");
        }
        var first = element[0].ValueKind;
        if (first == JsonValueKind.Number)
        {
            // One input given as token ids.
            if (ReadTokens(element, "input", out var tokens) is { } tokenError)
            {
                return tokenError;
            }
            inputs.Add(new EmbeddingInput(null, tokens));
            return null;
        }
        if (count > MaxInputs)
        {
            return OpenAiError.InvalidRequest($"'input' holds {count} items; at most {MaxInputs} are allowed per request.", "input");
        }
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var param = $"input[{index}]";
            if (first == JsonValueKind.String && item.ValueKind == JsonValueKind.String)
            {
                if (ReadString(item, param, out var text) is { } stringError)
                {
                    return stringError;
                }
                if (text.Length == 0)
                {
                    return OpenAiError.InvalidRequest($"'{param}' is an empty string; there is nothing to embed.", param);
                }
                inputs.Add(new EmbeddingInput(text, null));
            }
            else if (first == JsonValueKind.Array && item.ValueKind == JsonValueKind.Array)
            {
                if (ReadTokens(item, param, out var tokens) is { } tokenError)
                {
                    return tokenError;
                }
                inputs.Add(new EmbeddingInput(null, tokens));
            }
            else
            {
                return OpenAiError.InvalidRequest($"'{param}' does not match the other items. " + Shape, param);
            }
            index++;
        }
        return null;
    }

    /// <summary>The string, or a 400 when it is not valid UTF-16: JSON may escape a lone surrogate, which .NET cannot decode.</summary>
    private static OpenAiError? ReadString(JsonElement element, string param, out string text)
    {
        try
        {
            text = element.GetString()!;
            return null;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return OpenAiError.InvalidRequest($"'{param}' holds a string that is not valid UTF-16 (a lone surrogate such as \\ud800).", param, "invalid_string");
        }
    }

    private static OpenAiError? ReadTokens(JsonElement array, string param, out int[] tokens)
    {
        tokens = new int[array.GetArrayLength()];
        if (tokens.Length == 0)
        {
            return OpenAiError.InvalidRequest($"'{param}' is an empty array of token ids; there is nothing to embed.", param);
        }
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var token) || token < 0)
            {
                return OpenAiError.InvalidRequest($"'{param}[{i}]' must be a token id (a non-negative integer), was {item.GetRawText()}.", $"{param}[{i}]");
            }
            tokens[i++] = token;
        }
        return null;
    }

    /// <summary>OpenAI's base64 encoding: the vector's float32 values, little-endian, as base64.</summary>
    public static string ToBase64(ReadOnlySpan<float> vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }
        return Convert.ToBase64String(bytes);
    }
}

/// <summary>POST /v1/embeddings' answer, in OpenAI's shape; usage comes last (the gateway reads it from the tail).</summary>
public sealed record EmbeddingList(
    [property: JsonPropertyName("data"), JsonPropertyOrder(1)] IReadOnlyList<EmbeddingItem> Data,
    [property: JsonPropertyName("model"), JsonPropertyOrder(2)] string Model,
    [property: JsonPropertyName("usage"), JsonPropertyOrder(3)] EmbeddingUsage Usage)
{
    [JsonPropertyName("object"), JsonPropertyOrder(0)] public string Object => "list";
}

/// <summary>One vector: a float array, or (encoding_format base64) a base64 string of little-endian float32s.</summary>
public sealed record EmbeddingItem(
    [property: JsonPropertyName("index"), JsonPropertyOrder(1)] int Index,
    [property: JsonPropertyName("embedding"), JsonPropertyOrder(2)] object Embedding)
{
    [JsonPropertyName("object"), JsonPropertyOrder(0)] public string Object => "embedding";
}

public sealed record EmbeddingUsage([property: JsonPropertyName("prompt_tokens")] int PromptTokens)
{
    [JsonPropertyName("total_tokens")] public int TotalTokens => PromptTokens;
}
