using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// When a destination cannot be reached and nothing has been sent to the client yet, tries the
/// request once more on each other instance of the cluster. Only requests whose body can be sent
/// again (none, or one the gateway already buffered) are retried.
/// </summary>
internal static class RetryOnAnotherDestination
{
    public const int MaxAttempts = 3;

    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        var candidates = proxy.AvailableDestinations;
        var tried = new List<DestinationState>();
        for (var attempt = 1; ; attempt++)
        {
            await next();
            var error = context.GetForwarderErrorFeature();
            if (error is null || !ShouldRetry(error.Error, context, attempt)) return;

            if (proxy.ProxiedDestination is { } failed) tried.Add(failed);
            var remaining = candidates.Where(d => !tried.Contains(d)).ToList();
            if (remaining.Count == 0) return;

            proxy.AvailableDestinations = remaining;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
            if (context.Request.Body.CanSeek) context.Request.Body.Position = 0;
        }
    }

    private static bool ShouldRetry(ForwarderError error, HttpContext context, int attempt) =>
        error == ForwarderError.Request
        && attempt < MaxAttempts
        && !context.Response.HasStarted
        && CanResend(context.Request);

    /// <summary>A request without a body, or with one the gateway holds in memory, can be sent twice.</summary>
    public static bool CanResend(HttpRequest request) =>
        request.Body.CanSeek || request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding"));
}
