using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DomainPlatform.Inference.Domain;
using DomainPlatform.Inference.Runtime;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Inference.Apis;

/// <summary>
/// OpenAI-compatible endpoints. Errors use OpenAI's error body ({"error":{message,type,param,code}}) rather
/// than problem details, because OpenAI clients parse that shape.
/// </summary>
public static class OpenAiApi
{
    public const string VariantHeader = "X-Variant";
    /// <summary>The web defaults with the platform's input rule: these handlers read their bodies themselves, so the app's options do not apply.</summary>
    private static readonly JsonSerializerOptions Json = WithInputRules(new(JsonSerializerDefaults.Web));

    private static JsonSerializerOptions WithInputRules(JsonSerializerOptions options)
    {
        JsonInputRules.Apply(options);
        return options;
    }

    public static RouteGroupBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("OpenAI");

        api.MapPost("/chat/completions", ChatCompletions)
            .WithName("CreateChatCompletion")
            .WithSummary("Chat completion (OpenAI-compatible), streamed as server-sent events when stream is true")
            .WithDescription("Renders the messages with the model's chat template and generates with continuous batching. " +
                             "429 with Retry-After when the model's queue is full. Extensions: top_k, min_p, repeat_penalty, ignore_eos.")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletion>()
            .Produces<ChatCompletionChunk>(StatusCodes.Status200OK, "text/event-stream")
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest)
            .Produces<OpenAiError>(StatusCodes.Status404NotFound)
            .Produces<OpenAiError>(StatusCodes.Status429TooManyRequests);
        api.MapPost("/completions", Completions)
            .WithName("CreateCompletion")
            .WithSummary("Text completion of a raw prompt (OpenAI-compatible), streamed when stream is true")
            .WithDescription("Same semantics as chat completions, on a raw prompt without a chat template.")
            .Accepts<CompletionRequest>("application/json")
            .Produces<Completion>()
            .Produces<Completion>(StatusCodes.Status200OK, "text/event-stream")
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest)
            .Produces<OpenAiError>(StatusCodes.Status404NotFound)
            .Produces<OpenAiError>(StatusCodes.Status429TooManyRequests);
        api.MapPost("/embeddings", Embeddings)
            .WithName("CreateEmbedding")
            .WithSummary("Embeddings of one or more inputs (OpenAI-compatible): pooled, unit length, as floats or base64")
            .WithDescription("Each input (a string, or token ids) is pooled with the model's own pooling type, or mean pooling when " +
                             "its GGUF sets none, and L2-normalised. Inputs are batched on the model's device between generation steps. " +
                             "dimensions is accepted only when it equals the model's embedding size. 429 with Retry-After when the queue is full.")
            .Accepts<EmbeddingRequestBody>("application/json")
            .Produces<EmbeddingList>()
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest)
            .Produces<OpenAiError>(StatusCodes.Status404NotFound)
            .Produces<OpenAiError>(StatusCodes.Status429TooManyRequests);
        api.MapGet("/models", ListModels)
            .WithName("ListOpenAiModels")
            .WithSummary("The loaded models (OpenAI-compatible)");
        return api;
    }

    public static Ok<ModelList> ListModels(ModelPool pool) =>
        TypedResults.Ok(new ModelList(pool.List().Where(m => m.State == "ready")
            .Select(m => new ModelCard(m.Id, m.LoadedAt.ToUnixTimeSeconds(), "domainplatform")).ToList()));

    public static Task ChatCompletions(HttpContext http, ModelPool pool) =>
        GenerateAsync<ChatCompletionRequest>(http, pool, OpenAiRequestRules.Validate, new ChatFormat());

    public static Task Completions(HttpContext http, ModelPool pool) =>
        GenerateAsync<CompletionRequest>(http, pool, OpenAiRequestRules.Validate, new CompletionFormat());

    public static async Task Embeddings(HttpContext http, ModelPool pool)
    {
        var ct = http.RequestAborted;
        if (await ReadBodyAsync<EmbeddingRequestBody>(http) is not { } body)
        {
            return;
        }
        var validated = EmbeddingRequestRules.Validate(body);
        if (validated.Error is { } invalid)
        {
            await WriteErrorAsync(http, invalid);
            return;
        }
        var spec = validated.Spec!;

        using var activity = InferenceMetrics.ActivitySource.StartActivity($"embeddings {spec.Model}");
        activity?.SetTag(InferenceMetrics.ModelTag, spec.Model);
        activity?.SetTag(InferenceMetrics.VariantTag, http.Request.Headers[VariantHeader].ToString() is { Length: > 0 } variant ? variant : null);
        activity?.SetTag("inference.embeddings.inputs", spec.Inputs.Count);

        EmbeddingRequest request;
        try
        {
            request = pool.SubmitEmbeddings(spec, ct);
        }
        catch (GenerationRefusedException refused)
        {
            await WriteRefusalAsync(http, pool, activity, refused);
            return;
        }
        activity?.SetTag("gen_ai.usage.input_tokens", request.PromptTokens);

        float[][] vectors;
        try
        {
            vectors = await request.Result.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; the scheduler drops the inputs it has not embedded yet.
            return;
        }
        catch (EmbeddingFailedException failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failed.Message);
            await WriteErrorAsync(http, OpenAiError.ServerError(failed.Message));
            return;
        }
        var data = new EmbeddingItem[vectors.Length];
        for (var i = 0; i < vectors.Length; i++)
        {
            data[i] = new EmbeddingItem(i, spec.Base64 ? EmbeddingRequestRules.ToBase64(vectors[i]) : vectors[i]);
        }
        await http.Response.WriteAsJsonAsync(new EmbeddingList(data, spec.Model, new EmbeddingUsage(request.PromptTokens)), Json, ct);
    }

    /// <summary>A request the pool refused before it reached a slot: OpenAI's error, with Retry-After when it was full.</summary>
    private static Task WriteRefusalAsync(HttpContext http, ModelPool pool, Activity? activity, GenerationRefusedException refused)
    {
        activity?.SetStatus(ActivityStatusCode.Error, refused.Message);
        if (refused.Failure == GenerationFailure.QueueFull)
        {
            http.Response.Headers.RetryAfter = pool.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return WriteErrorAsync(http, ToOpenAiError(refused));
    }

    /// <summary>The request's JSON body, or null once the 400 saying what is wrong with it has been written.</summary>
    private static async Task<T?> ReadBodyAsync<T>(HttpContext http) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Json, http.RequestAborted);
            if (body is null)
            {
                await WriteErrorAsync(http, OpenAiError.InvalidRequest("The request body must be a JSON object.", null));
            }
            return body;
        }
        catch (JsonException exception)
        {
            // Text the input rule refuses gets the code the gateway gives it.
            var text = exception.Message.StartsWith(JsonInputRules.NulMessage, StringComparison.Ordinal)
                       || exception.Message.StartsWith(JsonInputRules.InvalidUtf16Message, StringComparison.Ordinal);
            await WriteErrorAsync(http, OpenAiError.InvalidRequest($"The request body is not valid: {exception.Message}", ParamOf(exception),
                text ? "invalid_string" : null));
            return null;
        }
    }

    /// <summary>
    /// The field a refused body is about: the serializer's path, and inside free-form JSON (input, prompt, content) the
    /// place the input rule names at the end of its message, "(at [1])", so that the param is "input[1]".
    /// </summary>
    private static string? ParamOf(JsonException exception)
    {
        var path = exception.Path?.TrimStart('$', '.');
        const string marker = " (at ";
        var at = exception.Message.LastIndexOf(marker, StringComparison.Ordinal);
        if (string.IsNullOrEmpty(path) || at < 0 || !exception.Message.EndsWith(')')) return path;
        var inner = exception.Message[(at + marker.Length)..^1];
        return inner.StartsWith('[') ? path + inner : $"{path}.{inner}";
    }

    private static async Task GenerateAsync<TRequest>(HttpContext http, ModelPool pool, Func<TRequest, ValidatedRequest> validate, IResponseFormat format)
        where TRequest : class
    {
        var ct = http.RequestAborted;
        if (await ReadBodyAsync<TRequest>(http) is not { } body)
        {
            return;
        }
        var validated = validate(body);
        if (validated.Error is { } invalid)
        {
            await WriteErrorAsync(http, invalid);
            return;
        }
        var spec = validated.Spec!;

        using var activity = InferenceMetrics.ActivitySource.StartActivity($"generate {spec.Model}");
        activity?.SetTag(InferenceMetrics.ModelTag, spec.Model);
        activity?.SetTag(InferenceMetrics.VariantTag, http.Request.Headers[VariantHeader].ToString() is { Length: > 0 } variant ? variant : null);
        activity?.SetTag("inference.stream", spec.Stream);

        GenerationRequest request;
        try
        {
            request = pool.Submit(spec, ct);
        }
        catch (GenerationRefusedException refused)
        {
            await WriteRefusalAsync(http, pool, activity, refused);
            return;
        }

        var id = format.NewId();
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        GenerationUpdate? last = null;
        try
        {
            if (spec.Stream)
            {
                http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                http.Response.ContentType = "text/event-stream";
                http.Response.Headers.CacheControl = "no-cache";
                await WriteEventAsync(http, format.FirstChunk(id, created, spec.Model), ct);
                await foreach (var update in request.Updates.ReadAllAsync(ct))
                {
                    if (update.IsFinal)
                    {
                        last = update;
                        break;
                    }
                    await WriteEventAsync(http, format.TextChunk(id, created, spec.Model, update.Text), ct);
                }
                if (last?.Error is { } error)
                {
                    await WriteEventAsync(http, OpenAiError.ServerError(error), ct);
                }
                else if (last is not null)
                {
                    var usage = new Usage(last.PromptTokens, last.CompletionTokens);
                    var timings = new Timings(last.QueueMs, last.SharedDeviceMs);
                    await WriteEventAsync(http, format.FinalChunk(id, created, spec.Model, last.FinishReason!, spec.IncludeUsage ? null : usage, timings), ct);
                    if (spec.IncludeUsage)
                    {
                        await WriteEventAsync(http, format.UsageChunk(id, created, spec.Model, usage, timings), ct);
                    }
                }
                await http.Response.WriteAsync("data: [DONE]\n\n", ct);
            }
            else
            {
                var text = new StringBuilder();
                await foreach (var update in request.Updates.ReadAllAsync(ct))
                {
                    text.Append(update.Text);
                    last = update.IsFinal ? update : last;
                }
                if (last is null || last.Error is not null)
                {
                    await WriteErrorAsync(http, OpenAiError.ServerError(last?.Error ?? "Generation ended without a result."));
                }
                else
                {
                    var usage = new Usage(last.PromptTokens, last.CompletionTokens);
                    var timings = new Timings(last.QueueMs, last.SharedDeviceMs);
                    await http.Response.WriteAsJsonAsync(format.Whole(id, created, spec.Model, text.ToString(), last.FinishReason!, usage, timings), format.WholeType, Json, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; the token has already told the scheduler to free the slot.
            activity?.SetTag(InferenceMetrics.FinishReasonTag, FinishReasons.Cancelled);
            return;
        }
        if (last is not null)
        {
            activity?.SetTag(InferenceMetrics.FinishReasonTag, last.FinishReason);
            activity?.SetTag("gen_ai.usage.input_tokens", last.PromptTokens);
            activity?.SetTag("gen_ai.usage.output_tokens", last.CompletionTokens);
            if (last.Error is not null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, last.Error);
            }
        }
    }

    public static OpenAiError ToOpenAiError(GenerationRefusedException refused) => refused.Failure switch
    {
        GenerationFailure.ModelNotFound => new OpenAiError(new OpenAiErrorDetail(refused.Message, "invalid_request_error", "model", "model_not_found"))
        {
            StatusCode = StatusCodes.Status404NotFound,
        },
        GenerationFailure.ModelUnloading => OpenAiError.Unavailable(refused.Message),
        GenerationFailure.QueueFull => OpenAiError.RateLimited(refused.Message),
        GenerationFailure.ContextLengthExceeded => OpenAiError.InvalidRequest(refused.Message, refused.Param, "context_length_exceeded"),
        _ => OpenAiError.InvalidRequest(refused.Message, refused.Param),
    };

    private static async Task WriteErrorAsync(HttpContext http, OpenAiError error)
    {
        http.Response.StatusCode = error.StatusCode;
        await http.Response.WriteAsJsonAsync(error, Json);
    }

    private static async Task WriteEventAsync<T>(HttpContext http, T payload, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(payload, Json);
        await http.Response.WriteAsync($"data: {json}\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    /// <summary>The response shapes of one endpoint.</summary>
    private interface IResponseFormat
    {
        Type WholeType { get; }
        string NewId();
        object FirstChunk(string id, long created, string model);
        object TextChunk(string id, long created, string model, string text);
        object FinalChunk(string id, long created, string model, string finishReason, Usage? usage, Timings timings);
        object UsageChunk(string id, long created, string model, Usage usage, Timings timings);
        object Whole(string id, long created, string model, string text, string finishReason, Usage usage, Timings timings);
    }

    private sealed class ChatFormat : IResponseFormat
    {
        public Type WholeType => typeof(ChatCompletion);
        public string NewId() => $"chatcmpl-{Guid.NewGuid():N}";
        public object FirstChunk(string id, long created, string model) =>
            new ChatCompletionChunk(id, created, model, [new ChatChunkChoice(0, new ChatDelta("assistant", ""), null)], null);
        public object TextChunk(string id, long created, string model, string text) =>
            new ChatCompletionChunk(id, created, model, [new ChatChunkChoice(0, new ChatDelta(null, text), null)], null);
        public object FinalChunk(string id, long created, string model, string finishReason, Usage? usage, Timings timings) =>
            new ChatCompletionChunk(id, created, model, [new ChatChunkChoice(0, new ChatDelta(null, null), finishReason)], usage, timings);
        public object UsageChunk(string id, long created, string model, Usage usage, Timings timings) => new ChatCompletionChunk(id, created, model, [], usage, timings);
        public object Whole(string id, long created, string model, string text, string finishReason, Usage usage, Timings timings) =>
            new ChatCompletion(id, created, model, [new ChatChoice(0, new ChatMessageOutput("assistant", text), finishReason)], usage, timings);
    }

    private sealed class CompletionFormat : IResponseFormat
    {
        public Type WholeType => typeof(Completion);
        public string NewId() => $"cmpl-{Guid.NewGuid():N}";
        public object FirstChunk(string id, long created, string model) =>
            new Completion(id, created, model, [new CompletionChoice(0, "", null)], null);
        public object TextChunk(string id, long created, string model, string text) =>
            new Completion(id, created, model, [new CompletionChoice(0, text, null)], null);
        public object FinalChunk(string id, long created, string model, string finishReason, Usage? usage, Timings timings) =>
            new Completion(id, created, model, [new CompletionChoice(0, "", finishReason)], usage, timings);
        public object UsageChunk(string id, long created, string model, Usage usage, Timings timings) => new Completion(id, created, model, [], usage, timings);
        public object Whole(string id, long created, string model, string text, string finishReason, Usage usage, Timings timings) =>
            new Completion(id, created, model, [new CompletionChoice(0, text, finishReason)], usage, timings);
    }
}
