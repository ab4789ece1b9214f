using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

/// <summary>
/// Unloads a version a traffic change let go of, after <see cref="DeploymentOptions.UnloadGracePeriod"/> (gateways
/// still routing by the old table keep finding it) and only if no route serves it again by then (an experiment or a
/// rollback may have taken it back).
/// </summary>
public sealed partial class ModelDrain(
    NpgsqlDataSource db, InferenceControl inference, [FromKeyedServices(ModelDrain.ClockKey)] TimeProvider clock,
    IOptions<DeploymentOptions> options, ILogger<ModelDrain> logger)
{
    /// <summary>The grace period's own clock, so tests can end it when they choose.</summary>
    public const string ClockKey = "model-drain";

    /// <summary>Called after the change commits; returns at once, the drain runs in the background.</summary>
    public Task ScheduleAsync(string domain, string version)
    {
        _ = Task.Run(() => DrainAsync(domain, version));
        return Task.CompletedTask;
    }

    private async Task DrainAsync(string domain, string version)
    {
        try
        {
            await Task.Delay(options.Value.UnloadGracePeriod, clock);
            if ((await RouteTables.ServedVersionsAsync(db, domain, CancellationToken.None)).Contains(version))
            {
                LogServedAgain(domain, version);
                return;
            }
            await inference.UnloadAsync(domain, version);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or ObjectDisposedException or OperationCanceledException)
        {
            // A model left loaded wastes memory but harms no request; the next drain of the domain or a restart of inference frees it.
            LogDrainFailed(domain, version, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Domain}@{Version} stays loaded: a route serves it again")]
    private partial void LogServedAgain(string domain, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Domain}@{Version} was not unloaded: {Reason}")]
    private partial void LogDrainFailed(string domain, string version, string reason);
}
