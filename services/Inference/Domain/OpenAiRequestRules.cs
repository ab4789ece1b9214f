using System.Text.Json;
using DomainPlatform.LlamaCpp;

namespace DomainPlatform.Inference.Domain;

/// <summary>A validated generation request, independent of the endpoint (chat, completion, gRPC) it came through.</summary>
public sealed record GenerationSpec
{
    public required string Model { get; init; }
    /// <summary>Raw prompt (completions); null for chat.</summary>
    public string? Prompt { get; init; }
    /// <summary>Chat turns, rendered with the model's template; null for completions.</summary>
    public IReadOnlyList<LlamaChatMessage>? Messages { get; init; }
    /// <summary>Most tokens to generate; null means until the slot's context is full.</summary>
    public int? MaxTokens { get; init; }
    public required SamplingOptions Sampling { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    /// <summary>Keep generating past end-of-generation tokens (llama.cpp server's ignore_eos).</summary>
    public bool IgnoreEos { get; init; }
}

/// <summary>Either a spec or the OpenAI error that says what was wrong.</summary>
public sealed record ValidatedRequest(GenerationSpec? Spec, OpenAiError? Error)
{
    public static implicit operator ValidatedRequest(GenerationSpec spec) => new(spec, null);
    public static implicit operator ValidatedRequest(OpenAiError error) => new(null, error);
}

/// <summary>Turns OpenAI request bodies into <see cref="GenerationSpec"/>s, refusing what OpenAI would refuse (and what this server cannot do).</summary>
public static class OpenAiRequestRules
{
    public const int MaxStopSequences = 4;
    public const int MaxTokensLimit = 1 << 20;
    public static readonly IReadOnlySet<string> ChatRoles = new HashSet<string>(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool" };

    public static ValidatedRequest Validate(ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Messages is null || request.Messages.Count == 0)
        {
            return OpenAiError.InvalidRequest("'messages' must be a non-empty array of {role, content} objects.", "messages");
        }
        var messages = new List<LlamaChatMessage>(request.Messages.Count);
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (message?.Role is not { } role || !ChatRoles.Contains(role))
            {
                return OpenAiError.InvalidRequest(
                    $"messages[{i}].role must be one of {string.Join(", ", ChatRoles)}.", $"messages[{i}].role");
            }
            if (ReadContent(message.Content) is not { } content)
            {
                return OpenAiError.InvalidRequest(
                    $"messages[{i}].content must be a string or an array of text parts.", $"messages[{i}].content");
            }
            messages.Add(new LlamaChatMessage(role, content));
        }
        if (request.MaxTokens is not null && request.MaxCompletionTokens is not null && request.MaxTokens != request.MaxCompletionTokens)
        {
            return OpenAiError.InvalidRequest("Give max_tokens or max_completion_tokens, not two different values.", "max_completion_tokens");
        }
        return ValidateCommon(request, request.MaxCompletionTokens ?? request.MaxTokens, spec => spec with { Messages = messages });
    }

    public static ValidatedRequest Validate(CompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? prompt = request.Prompt switch
        {
            { ValueKind: JsonValueKind.String } element => element.GetString(),
            { ValueKind: JsonValueKind.Array } element when element.GetArrayLength() == 1 && element[0].ValueKind == JsonValueKind.String =>
                element[0].GetString(),
            _ => null,
        };
        if (prompt is null)
        {
            return OpenAiError.InvalidRequest("'prompt' must be a string (or an array holding one string).", "prompt");
        }
        return ValidateCommon(request, request.MaxTokens, spec => spec with { Prompt = prompt });
    }

    private static ValidatedRequest ValidateCommon(GenerationFields request, int? maxTokens, Func<GenerationSpec, GenerationSpec> complete)
    {
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return OpenAiError.InvalidRequest("'model' is required: the id of a loaded model (see GET /v1/models).", "model");
        }
        if (request.N is not null and not 1)
        {
            return OpenAiError.InvalidRequest($"Only n=1 is supported, was {request.N}.", "n");
        }
        if (maxTokens is not null and (< 1 or > MaxTokensLimit))
        {
            return OpenAiError.InvalidRequest($"max_tokens must be 1..{MaxTokensLimit}, was {maxTokens}.", "max_tokens");
        }
        if (request.Temperature is { } temperature && !(temperature is >= 0f and <= 2f))
        {
            return OpenAiError.InvalidRequest($"temperature must be between 0 and 2, was {temperature}.", "temperature");
        }
        if (request.TopP is { } topP && !(topP is > 0f and <= 1f))
        {
            return OpenAiError.InvalidRequest($"top_p must be greater than 0 and at most 1, was {topP}.", "top_p");
        }
        if (request.TopK is < 0)
        {
            return OpenAiError.InvalidRequest($"top_k must be 0 (off) or more, was {request.TopK}.", "top_k");
        }
        if (request.MinP is { } minP && !(minP is >= 0f and <= 1f))
        {
            return OpenAiError.InvalidRequest($"min_p must be between 0 and 1, was {minP}.", "min_p");
        }
        if (request.PresencePenalty is { } presence && !(presence is >= -2f and <= 2f))
        {
            return OpenAiError.InvalidRequest($"presence_penalty must be between -2 and 2, was {presence}.", "presence_penalty");
        }
        if (request.FrequencyPenalty is { } frequency && !(frequency is >= -2f and <= 2f))
        {
            return OpenAiError.InvalidRequest($"frequency_penalty must be between -2 and 2, was {frequency}.", "frequency_penalty");
        }
        if (request.RepeatPenalty is { } repeat && !(repeat is > 0f and <= 10f))
        {
            return OpenAiError.InvalidRequest($"repeat_penalty must be greater than 0 and at most 10, was {repeat}.", "repeat_penalty");
        }
        if (request.Seed is < 0 or > uint.MaxValue)
        {
            return OpenAiError.InvalidRequest($"seed must be 0..{uint.MaxValue}, was {request.Seed}.", "seed");
        }
        if (ReadStop(request.Stop) is not { } stop)
        {
            return OpenAiError.InvalidRequest(
                $"stop must be a non-empty string or an array of up to {MaxStopSequences} non-empty strings.", "stop");
        }

        var sampling = new SamplingOptions
        {
            // OpenAI's defaults: temperature 1 and top_p 1; top-k and min-p stay off unless asked for.
            Temperature = request.Temperature ?? 1f,
            TopP = request.TopP ?? 1f,
            TopK = request.TopK ?? 0,
            MinP = request.MinP ?? 0f,
            PresencePenalty = request.PresencePenalty ?? 0f,
            FrequencyPenalty = request.FrequencyPenalty ?? 0f,
            RepeatPenalty = request.RepeatPenalty ?? 1f,
            Seed = request.Seed is { } seed ? (uint)seed : null,
        };
        var stream = request.Stream ?? false;
        return complete(new GenerationSpec
        {
            Model = request.Model,
            MaxTokens = maxTokens,
            Sampling = sampling,
            Stop = stop,
            Stream = stream,
            IncludeUsage = stream && request.StreamOptions?.IncludeUsage == true,
            IgnoreEos = request.IgnoreEos ?? false,
        });
    }

    /// <summary>A message's text: a string, or the concatenated "text" parts of an array; null when neither.</summary>
    public static string? ReadContent(JsonElement? content)
    {
        if (content is not { } element)
        {
            return null;
        }
        if (element.ValueKind == JsonValueKind.String)
        {
            return element.GetString();
        }
        if (element.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var text = new System.Text.StringBuilder();
        foreach (var part in element.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
            {
                return null;
            }
            text.Append(partText.GetString());
        }
        return text.ToString();
    }

    /// <summary>Stop sequences: absent or null is none; a string or an array of 1..4 non-empty strings; null when malformed.</summary>
    public static IReadOnlyList<string>? ReadStop(JsonElement? stop)
    {
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return [];
        }
        if (element.ValueKind == JsonValueKind.String)
        {
            return element.GetString() is { Length: > 0 } single ? [single] : null;
        }
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > MaxStopSequences)
        {
            return null;
        }
        var list = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
            {
                return null;
            }
            list.Add(text);
        }
        return list;
    }
}
