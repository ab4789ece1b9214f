using Yarp.ReverseProxy.Forwarder;

namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// YARP answers a failed forward with a bare status code; this step of the proxy pipeline gives the
/// caller problem details instead, naming the service that could not be reached.
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
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Extensions = { ["service"] = cluster } },
        });
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
