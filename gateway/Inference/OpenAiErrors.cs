using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DomainPlatform.Gateway.Inference;

/// <summary>The <c>code</c> values of OpenAI's error body the gateway itself answers with.</summary>
public static class OpenAiErrorCodes
{
    public const string InvalidApiKey = "invalid_api_key";
    public const string InsufficientPermissions = "insufficient_permissions";
    public const string ModelNotFound = "model_not_found";
    public const string UnknownUrl = "unknown_url";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string RequestTooLarge = "request_too_large";
    public const string InvalidJson = "invalid_json";
    public const string InvalidType = "invalid_type";
    public const string OutOfRange = "out_of_range";
    public const string MissingRequired = "missing_required_parameter";
    public const string InvalidString = "invalid_string";
    public const string ContextLengthExceeded = "context_length_exceeded";
    public const string Timeout = "timeout";
    public const string BadGateway = "bad_gateway";
    public const string ServiceUnavailable = "service_unavailable";
    public const string InternalError = "internal_error";
}

/// <summary>OpenAI's error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record OpenAiErrorBody([property: JsonPropertyName("error")] OpenAiErrorDetail Error);

public sealed record OpenAiErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>
/// Every error the gateway itself produces goes through <see cref="IProblemDetailsService"/> (auth, rate limits, body
/// limit, routing, proxy failures, validation results, unhandled exceptions). On <c>/v1/...</c> this writer, first in
/// line, answers in OpenAI's error shape instead, because OpenAI clients read only that; <c>/api/...</c> keeps problem
/// details. A problem may name its OpenAI <c>code</c> and <c>param</c> in the extensions <see cref="CodeKey"/> and
/// <see cref="ParamKey"/>; otherwise they follow from the status. Every 4xx it writes for an inference endpoint (chat,
/// completions, embeddings) is a client error refused before routing, and counted.
/// </summary>
public sealed class OpenAiProblemDetailsWriter(ClientErrorMetrics metrics) : IProblemDetailsWriter
{
    public const string CodeKey = "code";
    public const string ParamKey = "param";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static bool IsOpenAiPath(PathString path) => path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase);

    public bool CanWrite(ProblemDetailsContext context) => IsOpenAiPath(context.HttpContext.Request.Path);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        var status = problem.Status ?? http.Response.StatusCode;
        var error = ToOpenAi(problem, status);
        if (status is >= 400 and < 500 && InferenceRouting.Applies(http.Request)) metrics.Refused(error.Error.Code ?? error.Error.Type, status);

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, error, Json, http.RequestAborted);
    }

    public static OpenAiErrorBody ToOpenAi(Microsoft.AspNetCore.Mvc.ProblemDetails problem, int status)
    {
        var message = problem.Detail ?? problem.Title ?? "The request failed.";
        var param = problem.Extensions.TryGetValue(ParamKey, out var p) ? p as string : null;
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            message = string.Join(" ", validation.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
            param ??= validation.Errors.Keys.First();
        }
        var code = problem.Extensions.TryGetValue(CodeKey, out var c) ? c as string : DefaultCode(status);
        return new OpenAiErrorBody(new OpenAiErrorDetail(message, TypeFor(status), param, code));
    }

    /// <summary>OpenAI's <c>type</c>: bad input of any kind is an invalid_request_error, 429 is "requests", 5xx a server_error.</summary>
    public static string TypeFor(int status) => status switch
    {
        StatusCodes.Status429TooManyRequests => "requests",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string? DefaultCode(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => OpenAiErrorCodes.InvalidApiKey,
        StatusCodes.Status403Forbidden => OpenAiErrorCodes.InsufficientPermissions,
        StatusCodes.Status404NotFound => OpenAiErrorCodes.UnknownUrl,
        StatusCodes.Status413PayloadTooLarge => OpenAiErrorCodes.RequestTooLarge,
        StatusCodes.Status429TooManyRequests => OpenAiErrorCodes.RateLimitExceeded,
        StatusCodes.Status502BadGateway => OpenAiErrorCodes.BadGateway,
        StatusCodes.Status503ServiceUnavailable => OpenAiErrorCodes.ServiceUnavailable,
        StatusCodes.Status504GatewayTimeout => OpenAiErrorCodes.Timeout,
        >= 500 => OpenAiErrorCodes.InternalError,
        _ => null,
    };
}

/// <summary>
/// Client errors on the inference path: requests refused before a variant was chosen (by the gateway) and requests a
/// variant refused as the client's fault. Counter <c>gateway.inference.client_errors</c> (meter DomainPlatform.Gateway,
/// tags <c>reason</c> = the OpenAI code or type, <c>status</c>, <c>stage</c> = before_routing or upstream). None of them
/// counts in a variant's error rate.
/// </summary>
public sealed class ClientErrorMetrics(IMeterFactory meters)
{
    public const string MeterName = "DomainPlatform.Gateway";
    public const string InstrumentName = "gateway.inference.client_errors";

    private readonly Counter<long> _errors = meters.Create(MeterName).CreateCounter<long>(
        InstrumentName, description: "Inference requests that failed because of the client, by reason; never counted against a variant");

    public void Refused(string reason, int status) => Add(reason, status, "before_routing");

    public void Upstream(string reason, int status) => Add(reason, status, "upstream");

    private void Add(string reason, int status, string stage) =>
        _errors.Add(1, new("reason", reason), new("status", status), new("stage", stage));
}

internal static class Problems
{
    /// <summary>A gateway error: problem details on /api, OpenAI's error body on /v1 (see <see cref="OpenAiProblemDetailsWriter"/>).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, string? code = null, string? param = null)
    {
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail };
        if (code is not null) problem.Extensions[OpenAiProblemDetailsWriter.CodeKey] = code;
        if (param is not null) problem.Extensions[OpenAiProblemDetailsWriter.ParamKey] = param;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
        });
    }
}
