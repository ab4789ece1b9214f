using System.Buffers;
using System.Reflection;
using System.Text.Unicode;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The input rule for what the JSON converters of <see cref="JsonInputRules"/> do not see, on every minimal API
/// endpoint: route values and query parameters hold no NUL or invalid UTF-16, and an endpoint that takes no
/// body (an action such as start or stop) refuses one instead of ignoring it; a JSON body the endpoint binds is
/// valid UTF-8 throughout, also where the serializer would skip it unread (a property no field takes). Proxy routes and gRPC are left
/// alone: the service behind them applies the rule itself.
/// </summary>
public static class RequestInputRules
{
    /// <summary>
    /// Before routing: a POST, PUT or PATCH that says nothing of its body's type is read as JSON, the only kind these APIs
    /// take. Otherwise the router finds no endpoint for an endpoint that accepts JSON (a misleading 404) instead of
    /// letting it say what the body lacks.
    /// </summary>
    public static WebApplication UseJsonForUnlabelledBodies(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (string.IsNullOrEmpty(context.Request.ContentType)
                && (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method) || HttpMethods.IsPatch(context.Request.Method)))
            {
                context.Request.ContentType = "application/json";
            }
            return next(context);
        });
        return app;
    }

    public static WebApplication UseRequestInputRules(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint() is { } endpoint
                && endpoint.Metadata.GetMetadata<MethodInfo>() is not null
                && endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is null
                && await RefusalAsync(context, endpoint) is { } problem)
            {
                // The refusal replaces the handler, so authentication and authorization still answer first.
                context.SetEndpoint(new Endpoint(http => WriteAsync(http, problem), endpoint.Metadata, endpoint.DisplayName));
            }
            await next(context);
        });
        return app;
    }

    private sealed record Refusal(string Field, string Title, string Message);

    private static async Task<Refusal?> RefusalAsync(HttpContext context, Endpoint endpoint)
    {
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && JsonInputRules.Refusal(text) is { } why) return new Refusal(name, "Invalid request", why);
        }
        foreach (var (name, values) in context.Request.Query)
        {
            if (JsonInputRules.Refusal(name) is { } badName) return new Refusal("query", "Invalid request", badName);
            foreach (var value in values)
            {
                if (JsonInputRules.Refusal(value) is { } why) return new Refusal(name, "Invalid request", why);
            }
        }
        var accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>();
        // A fallback (MapFallback: the last order) answers for paths nothing serves, whatever their body: its 404 says more.
        var isFallback = endpoint is RouteEndpoint { Order: int.MaxValue };
        if (accepts is null && !isFallback && await HasBodyAsync(context.Request))
        {
            var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.ToString();
            return new Refusal("body", "Unexpected request body", $"{context.Request.Method} {route} takes no request body; send it without one.");
        }
        if (accepts is not null && BindsBody(endpoint, accepts) && context.Request.HasJsonContentType()
            && await InvalidUtf8OffsetAsync(context.Request) is { } offset)
        {
            return new Refusal("body", "Invalid request", $"The body is not valid UTF-8 (byte {offset}).");
        }
        return null;
    }

    /// <summary>Whether minimal APIs bind the body to a parameter (a handler that reads the body itself keeps its own rules).</summary>
    private static bool BindsBody(Endpoint endpoint, IAcceptsMetadata accepts) =>
        accepts.RequestType is { } type && endpoint.Metadata.GetMetadata<MethodInfo>()!.GetParameters().Any(p => p.ParameterType == type);

    private static async Task<long?> InvalidUtf8OffsetAsync(HttpRequest request)
    {
        request.EnableBuffering();
        var bytes = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var chars = ArrayPool<char>.Shared.Rent(16 * 1024);
        try
        {
            long offset = 0;
            var carried = 0;
            while (true)
            {
                var read = await request.Body.ReadAsync(bytes.AsMemory(carried, bytes.Length - carried), request.HttpContext.RequestAborted);
                var final = read == 0;
                var span = bytes.AsSpan(0, carried + read);
                // UTF-16 never needs more chars than UTF-8 has bytes, so one call decodes the chunk or stops at a bad byte.
                var status = Utf8.ToUtf16(span, chars, out var consumed, out _, replaceInvalidSequences: false, isFinalBlock: final);
                if (status == OperationStatus.InvalidData) return offset + consumed;
                if (final) return null;
                carried = span.Length - consumed;
                span[consumed..].CopyTo(bytes);
                offset += consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
            request.Body.Position = 0;
        }
    }

    private static async Task<bool> HasBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is { } length) return length > 0;
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }) return false;
        // Chunked: only reading tells whether anything comes.
        var probe = new byte[1];
        return await request.Body.ReadAsync(probe, request.HttpContext.RequestAborted) > 0;
    }

    private static async Task WriteAsync(HttpContext context, Refusal refusal)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [refusal.Field] = [refusal.Message] })
            {
                Status = StatusCodes.Status400BadRequest, Title = refusal.Title, Detail = $"{refusal.Field}: {refusal.Message}",
            },
        });
    }
}
