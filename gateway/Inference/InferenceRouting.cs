using System.Diagnostics;
using System.Security.Claims;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Caching;
using DomainPlatform.Gateway.Outcomes;
using DomainPlatform.Gateway.Routing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;

namespace DomainPlatform.Gateway.Inference;

/// <summary>
/// The proxy pipeline step for OpenAI completion requests: reads the body (within the size limit),
/// picks the domain from <c>model</c> and the variant by the assignment key, rewrites <c>model</c> to
/// the variant's model, answers deterministic requests from the cache, sends the rest to the variant's
/// destination, names domain and variant in the response and reports the outcome.
/// </summary>
internal sealed class InferenceRouting(
    RouteTableState routes, IProxyStateLookup proxyState, ResponseCache cache, OutcomePublisher outcomes, ClientErrorMetrics clientErrors,
    IOptions<GatewayOptions> options)
{
    /// <summary>The OpenAI endpoints routed to a domain's variant (the inference routes of <see cref="ServiceCatalog"/>).</summary>
    public static readonly IReadOnlyDictionary<string, OpenAiEndpoint> RoutedPaths = new Dictionary<string, OpenAiEndpoint>(StringComparer.OrdinalIgnoreCase)
    {
        ["/v1/chat/completions"] = OpenAiEndpoint.ChatCompletions,
        ["/v1/completions"] = OpenAiEndpoint.Completions,
        ["/v1/embeddings"] = OpenAiEndpoint.Embeddings,
    };

    /// <summary>Response header with the completion-token limit the request was sent with (its own, or the domain's cap).</summary>
    public const string MaxTokensHeader = "X-Route-Max-Tokens";

    public static bool Applies(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.HasValue && RoutedPaths.ContainsKey(request.Path.Value);

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!Applies(context.Request))
        {
            await next();
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var endpoint = RoutedPaths[context.Request.Path.Value!];

        var body = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The body exceeds the gateway's limit of {options.Value.MaxRequestBodyBytes} bytes.", OpenAiErrorCodes.RequestTooLarge);
            return;
        }
        // Everything up to the variant's choice refuses the client's mistakes, so none of them can count against a variant.
        if (!OpenAiRequest.TryParse(body, out var parsed, out var parseError, endpoint))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Invalid request", parseError!.Message, parseError.Code, parseError.Param);
            return;
        }
        if (!routes.IsLoaded)
        {
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Routes not loaded",
                "The gateway has not received the route table from deployment yet; retry shortly.");
            return;
        }

        var choice = DomainRouter.Choose(parsed!.Model, parsed.PromptText, routes.Table, routes.LearnedWeights);
        if (choice is DomainChoice.Unknown unknown)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, "Unknown model", unknown.Detail + " GET /v1/models lists the models.",
                OpenAiErrorCodes.ModelNotFound, "model");
            return;
        }
        var domain = ((DomainChoice.Chosen)choice).Domain;
        if (domain.Unservable is not null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Domain not serving", domain.Unservable);
            return;
        }

        var (request, capped) = parsed.WithTokenCap(domain.Route.MaxTokens, endpoint);
        var maxTokens = capped ?? request.MaxTokens;
        var requestId = RequestIds.For(context);
        var assignmentKey = AssignmentKeys.For(request.User, context.Request.Headers[RouteHeaders.UserId],
            context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim), requestId);
        var forced = context.Request.Headers[RouteHeaders.ForceVariant].ToString();
        RouteVariant variant;
        if (forced.Length > 0)
        {
            if (!Policies.MayForceVariant(context.User.FindFirstValue(ClaimTypes.Role)))
            {
                await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                    $"Only operators and admins may choose a variant with {RouteHeaders.ForceVariant}.");
                return;
            }
            if (domain.FindVariant(forced) is not { } named)
            {
                await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Unknown variant",
                    $"Domain '{domain.Id}' has no variant '{forced}'; it has: {string.Join(", ", domain.Route.Variants.Select(v => v.Name))}.",
                    param: RouteHeaders.ForceVariant);
                return;
            }
            variant = named;
        }
        else
        {
            variant = domain.Assign(assignmentKey);
        }

        if (!proxyState.TryGetCluster(DestinationClusters.IdFor(variant.Destination), out var cluster))
        {
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Destination not ready",
                $"The destination '{variant.Destination}' of variant '{variant.Name}' is not known to the proxy yet.");
            return;
        }

        context.ReassignProxyRequest(cluster);
        RequestBody.Replace(context.Request, request.WithModel(variant.ModelId));
        PlatformTelemetry.TagRoute(Activity.Current, domain.Id, variant.Name, variant.ModelVersion);
        // The request's http.server.request.duration carries the route too: the dashboard's metrics per domain and variant.
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } metricTags)
        {
            metricTags.Tags.Add(new(PlatformTelemetry.DomainAttribute, domain.Id));
            metricTags.Tags.Add(new(PlatformTelemetry.VariantAttribute, variant.Name));
            metricTags.Tags.Add(new(PlatformTelemetry.ModelVersionAttribute, variant.ModelVersion));
        }
        context.Response.Headers[RouteHeaders.Domain] = domain.Id;
        context.Response.Headers[RouteHeaders.Variant] = variant.Name;
        context.Response.Headers[RouteHeaders.ModelVersion] = variant.ModelVersion;
        context.Response.Headers[RouteHeaders.RequestId] = requestId;
        if (maxTokens is { } applied) context.Response.Headers[MaxTokensHeader] = applied.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var route = new InferenceRoute(requestId, domain.Id, variant.Name, variant.ModelVersion, variant.ModelId, assignmentKey, request, domain.Route.Cache, maxTokens);
        context.Features.Set(route);

        var cacheKey = cache.KeyFor(route, context.Request.Path);
        if (cacheKey is not null)
        {
            if (await cache.GetAsync(cacheKey, route.Domain) is { } hit)
            {
                context.Response.Headers[ResponseCache.Header] = "HIT";
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = hit.ContentType;
                context.Response.ContentLength = hit.Body.Length;
                await context.Response.Body.WriteAsync(hit.Body, context.RequestAborted);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var (cachedIn, cachedOut) = UsageParser.Parse(System.Text.Encoding.UTF8.GetString(hit.Body));
                outcomes.Enqueue(Outcome(route, elapsed, elapsed, cachedIn, cachedOut, StatusCodes.Status200OK, cacheHit: true, clientError: false, sharedDeviceMs: null));
                return;
            }
            context.Response.Headers[ResponseCache.Header] = "MISS";
        }

        var original = context.Response.Body;
        var recorder = new ResponseRecorder(original, started, cacheKey is null ? 0 : cache.MaxBodyBytes);
        context.Response.Body = recorder;
        try
        {
            await next();
        }
        finally
        {
            context.Response.Body = original;
            var status = context.Response.StatusCode;
            var tail = recorder.Tail;
            var (tokensIn, tokensOut) = UsageParser.Parse(tail);
            var clientError = OutcomeClassifier.IsClientError(status, OutcomeClassifier.ErrorCode(tail), out var reason);
            if (clientError) clientErrors.Upstream(reason, status);
            outcomes.Enqueue(Outcome(route, Stopwatch.GetElapsedTime(started).TotalMilliseconds, recorder.FirstByteMs, tokensIn, tokensOut, status,
                cacheHit: false, clientError, UsageParser.SharedDeviceMs(tail)));
        }

        if (cacheKey is not null && context.Response.StatusCode == StatusCodes.Status200OK
            && context.GetForwarderErrorFeature() is null && recorder.WholeBody is { } answer)
        {
            await cache.SetAsync(cacheKey, route, context.Response.ContentType ?? "application/json", answer);
        }
    }

    private InferenceCompleted Outcome(
        InferenceRoute route, double latencyMs, double? firstByteMs, int tokensIn, int tokensOut, int status, bool cacheHit, bool clientError,
        double? sharedDeviceMs) =>
        new(route.RequestId, route.Domain, route.Variant, route.ModelVersion, latencyMs, firstByteMs, tokensIn, tokensOut, status,
            status is >= 200 and < 400, cacheHit, outcomes.HashKey(route.AssignmentKey), null, clientError, sharedDeviceMs);
}

/// <summary>The request id a caller can quote in feedback: theirs when they sent one, else the trace id.</summary>
internal static class RequestIds
{
    public static string For(HttpContext context)
    {
        var sent = context.Request.Headers[RouteHeaders.RequestId].ToString();
        return sent.Length is > 0 and <= 200 ? sent : context.TraceIdentifier;
    }
}

internal static class RequestBody
{
    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static void Replace(HttpRequest request, byte[] body)
    {
        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
    }
}
