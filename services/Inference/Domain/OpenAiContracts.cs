using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DomainPlatform.Inference.Domain;

// The OpenAI wire format (snake_case) for /v1/chat/completions, /v1/completions and /v1/models.
// Fields that may carry a string or an array (stop, prompt, content) stay JsonElement until validation.

/// <summary>Sampling and stopping fields both completion endpoints share; top_k, min_p, repeat_penalty and ignore_eos are llama.cpp server extensions.</summary>
public abstract record GenerationFields
{
    [Required, JsonPropertyName("model")] public string? Model { get; init; }
    [Range(1, OpenAiRequestRules.MaxTokensLimit), JsonPropertyName("max_tokens")] public int? MaxTokens { get; init; }
    [Range(0d, 2d), JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [Range(0d, 1d, MinimumIsExclusive = true), JsonPropertyName("top_p")] public float? TopP { get; init; }
    [Range(0, int.MaxValue), JsonPropertyName("top_k")] public int? TopK { get; init; }
    [Range(0d, 1d), JsonPropertyName("min_p")] public float? MinP { get; init; }
    [Range(-2d, 2d), JsonPropertyName("presence_penalty")] public float? PresencePenalty { get; init; }
    [Range(-2d, 2d), JsonPropertyName("frequency_penalty")] public float? FrequencyPenalty { get; init; }
    [Range(0d, 10d, MinimumIsExclusive = true), JsonPropertyName("repeat_penalty")] public float? RepeatPenalty { get; init; }
    [Range(0L, uint.MaxValue), JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; init; }
    [Range(1, 1), JsonPropertyName("n")] public int? N { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("stream_options")] public StreamOptions? StreamOptions { get; init; }
    [JsonPropertyName("ignore_eos")] public bool? IgnoreEos { get; init; }
}

public sealed record StreamOptions
{
    [JsonPropertyName("include_usage")] public bool? IncludeUsage { get; init; }
}

public sealed record ChatCompletionRequest : GenerationFields
{
    [Required, JsonPropertyName("messages")] public List<ChatMessageInput?>? Messages { get; init; }
    [Range(1, OpenAiRequestRules.MaxTokensLimit), JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; init; }
}

public sealed record ChatMessageInput
{
    [Required, AllowedValues("system", "developer", "user", "assistant", "tool"), JsonPropertyName("role")] public string? Role { get; init; }
    /// <summary>A string, or an array of parts of which the "text" ones are used.</summary>
    [JsonPropertyName("content")] public JsonElement? Content { get; init; }
}

public sealed record CompletionRequest : GenerationFields
{
    /// <summary>A string, or an array holding exactly one string.</summary>
    [Required, JsonPropertyName("prompt")] public JsonElement? Prompt { get; init; }
}

public sealed record Usage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens)
{
    [JsonPropertyName("total_tokens")] public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// Where a request's time went on the inference side, beside the OpenAI fields (as llama-server's <c>timings</c>):
/// queued before a slot was free, and the device time other models on the same device took while the request was in
/// flight. The gateway subtracts the latter to judge a co-located canary by its own cost.
/// </summary>
public sealed record Timings(
    [property: JsonPropertyName("queue_ms")] double QueueMs,
    [property: JsonPropertyName("shared_device_ms")] double SharedDeviceMs);

public sealed record ChatMessageOutput(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content);

public sealed record ChatChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message")] ChatMessageOutput Message,
    [property: JsonPropertyName("finish_reason")] string FinishReason)
{
    [JsonPropertyName("logprobs")] public object? Logprobs => null;
}

public sealed record ChatCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatChoice> Choices,
    [property: JsonPropertyName("usage")] Usage Usage,
    [property: JsonPropertyName("timings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Timings? Timings = null)
{
    [JsonPropertyName("object")] public string Object => "chat.completion";
}

public sealed record ChatDelta(
    [property: JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

public sealed record ChatChunkChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("delta")] ChatDelta Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

public sealed record ChatCompletionChunk(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    [property: JsonPropertyName("timings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Timings? Timings = null)
{
    [JsonPropertyName("object")] public string Object => "chat.completion.chunk";
}

public sealed record CompletionChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("finish_reason")] string? FinishReason)
{
    [JsonPropertyName("logprobs")] public object? Logprobs => null;
}

/// <summary>A text completion, and (with usage null until the end) each of its stream chunks.</summary>
public sealed record Completion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<CompletionChoice> Choices,
    [property: JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    [property: JsonPropertyName("timings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Timings? Timings = null)
{
    [JsonPropertyName("object")] public string Object => "text_completion";
}

public sealed record ModelCard(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    [JsonPropertyName("object")] public string Object => "model";
}

public sealed record ModelList([property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data)
{
    [JsonPropertyName("object")] public string Object => "list";
}

public sealed record OpenAiErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>OpenAI's error body, with the HTTP status it goes out with.</summary>
public sealed record OpenAiError([property: JsonPropertyName("error")] OpenAiErrorDetail Error)
{
    [JsonIgnore] public int StatusCode { get; init; } = 400;

    public static OpenAiError InvalidRequest(string message, string? param, string? code = null) =>
        new(new OpenAiErrorDetail(message, "invalid_request_error", param, code)) { StatusCode = 400 };

    public static OpenAiError Unavailable(string message) =>
        new(new OpenAiErrorDetail(message, "server_error", "model", "model_unavailable")) { StatusCode = 503 };

    public static OpenAiError RateLimited(string message) =>
        new(new OpenAiErrorDetail(message, "requests", null, "rate_limit_exceeded")) { StatusCode = 429 };

    public static OpenAiError ServerError(string message) =>
        new(new OpenAiErrorDetail(message, "server_error", null, null)) { StatusCode = 500 };
}
