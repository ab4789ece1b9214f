using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Turns every failure into RFC 9457 problem details: a malformed or mistyped body says what was
/// wrong (400, or 413 when too large); a dependency that is away for a while (a transient database failure: the
/// server down, unreachable or timing out) is a 503 with Retry-After, since the request may succeed as it is once it
/// is back; anything unexpected is a 500 that reveals no internals.
/// </summary>
internal sealed partial class ProblemDetailsExceptionHandler(
    IProblemDetailsService problemDetails, ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? problem = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } bad => new HttpValidationProblemDetails(
                new Dictionary<string, string[]> { [FieldOf(json)] = [WithoutPosition(json.Message)] })
            {
                Status = bad.StatusCode,
                Title = "Invalid request",
                Detail = $"{bad.Message} {FieldOf(json)}: {WithoutPosition(json.Message)}",
            },
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Invalid request",
                Detail = Describe(bad),
            },
            DbException { IsTransient: true } => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = $"A database this service needs is unreachable; the request changed nothing and may be retried in {DependencyRetrySeconds} s.",
            },
            _ => null,
        };
        if (problem?.Status == StatusCodes.Status503ServiceUnavailable)
        {
            LogDependencyDown(context.Request.Method, context.Request.Path, exception.Message);
            context.Response.Headers.RetryAfter = DependencyRetrySeconds.ToString(CultureInfo.InvariantCulture);
        }
        if (problem is null)
        {
            LogUnhandled(exception, context.Request.Method, context.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Internal error",
                Detail = "The server failed to handle the request; the error is logged with the trace id.",
            };
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static string Describe(BadHttpRequestException bad) => bad.InnerException switch
    {
        JsonException json => $"{bad.Message} {json.Message}",
        { } inner => $"{bad.Message} {inner.Message}",
        null => bad.Message,
    };

    /// <summary>The field a JSON failure is about, in the API's own spelling: "$.variants[0].name" is "variants[0].name"; the whole body is "body".</summary>
    internal static string FieldOf(JsonException json)
    {
        var path = json.Path switch
        {
            null or "" or "$" => "",
            ['$', '.', .. var rest] => rest,
            ['$', .. var rest] => rest,
            var other => other,
        };
        // A refused dictionary key is part of the path: name the dictionary instead of echoing the key.
        while (path.Length > 0 && JsonInputRules.Refusal(path) is not null)
        {
            path = path[..Math.Max(0, path.LastIndexOfAny(['.', '[']))];
        }
        return path.Length == 0 ? "body" : path;
    }

    // The serializer appends " Path: $.x | LineNumber: 0 | BytePositionInLine: 9." to its own messages; the field key says where.
    private static string WithoutPosition(string message) =>
        message.IndexOf(" Path: ", StringComparison.Ordinal) is var at and >= 0 ? message[..at] : message;

    /// <summary>The Retry-After of a 503 for a dependency that is away (seconds).</summary>
    public const int DependencyRetrySeconds = 5;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: a dependency is unreachable ({Reason})")]
    private partial void LogDependencyDown(string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
