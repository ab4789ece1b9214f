using DomainPlatform.Deployment.Domain;
using DomainPlatform.Protos.Experimentation;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// Asks experimentation how much traffic a domain had recently (CanaryAnalysis.RecentTraffic), for the step estimates.
/// A failure is not an error: the estimate is then unknown, with the reason.
/// </summary>
public sealed partial class TrafficRates(CanaryAnalysis.CanaryAnalysisClient analysis, IOptions<DeploymentOptions> options, ILogger<TrafficRates> logger)
{
    /// <summary>An estimate is a convenience: it never holds a rollout's start or step for long.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public async Task<TrafficReading> ReadAsync(string domain, CancellationToken ct)
    {
        var window = options.Value.RequestRateWindow;
        try
        {
            var reply = await analysis.RecentTrafficAsync(new RecentTrafficRequest { Domain = domain, WindowSeconds = (int)window.TotalSeconds },
                deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);
            return TrafficReading.Of(new TrafficRate(reply.Requests, reply.Served, reply.WindowSeconds));
        }
        catch (RpcException ex)
        {
            LogReadFailed(domain, ex.Status.StatusCode, ex.Status.Detail);
            return TrafficReading.None($"experimentation did not tell the domain's recent traffic ({ex.Status.StatusCode})");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recent traffic of {Domain} unknown: {Code} {Detail}")]
    private partial void LogReadFailed(string domain, StatusCode code, string detail);
}
