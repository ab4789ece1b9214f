using DomainPlatform.Gateway.Inference;
using Yarp.ReverseProxy.Forwarder;

namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// YARP answers a failed forward with a bare status code; this step of the proxy pipeline gives the
/// caller problem details instead (OpenAI's error body on /v1), naming the service that could not be reached.
/// </summary>
internal static class ProxyErrorProblemDetails
{
    public static async Task WriteOnErrorAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted) return;

        var cluster = context.GetReverseProxyFeature().Cluster.Config.ClusterId;
        var (status, title, detail) = Describe(error.Error, cluster);
        if (error.Error == ForwarderError.RequestTimedOut && context.Features.Get<InferenceRoute>() is { } route)
        {
            detail = DescribeInferenceTimeout(route, context.GetReverseProxyFeature().Cluster.Config.HttpRequest?.ActivityTimeout);
        }
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Extensions = { ["service"] = cluster } },
        });
    }

    /// <summary>What a client whose generation outlasted the gateway's timeout can do about it.</summary>
    public static string DescribeInferenceTimeout(InferenceRoute route, TimeSpan? timeout)
    {
        var limit = timeout is { } t ? $"{t.TotalSeconds:0} s" : "its time limit";
        var tokens = route.MaxTokens is { } max ? $"this request allowed up to {max} tokens" : "this request set no max_tokens";
        return $"The model of '{route.Domain}' (variant {route.Variant}, version {route.ModelVersion}) did not answer within the gateway's " +
               $"limit of {limit} without a byte. A non-streamed answer is sent only when it is complete and {tokens}: " +
               "ask for fewer tokens (max_tokens) or send \"stream\": true to receive the tokens as they are generated.";
    }

    /// <summary>The status, title and detail a caller sees for each way forwarding fails.</summary>
    public static (int Status, string Title, string Detail) Describe(ForwarderError error, string service) => error switch
    {
        ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, "Service unavailable",
            $"No healthy instance of '{service}' is known to the gateway right now."),
        ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "Upstream timeout",
            $"'{service}' did not answer in time."),
        ForwarderError.RequestCanceled => (StatusCodes.Status502BadGateway, "Request canceled",
            $"The request to '{service}' was canceled before it completed."),
        ForwarderError.RequestBodyClient or ForwarderError.RequestBodyCanceled => (StatusCodes.Status400BadRequest, "Request body incomplete",
            "The client did not send the whole request body."),
        _ => (StatusCodes.Status502BadGateway, "Bad gateway",
            $"The gateway could not get an answer from '{service}' ({error})."),
    };
}
