using Microsoft.Extensions.Options;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// The loop the rollout and watch controllers share: a pass every <see cref="DeploymentOptions.RolloutPollInterval"/>
/// while controllers are enabled; a failed pass (database down, a bad row) is logged and the next one retries.
/// </summary>
public abstract class PollingController(TimeProvider clock, IOptions<DeploymentOptions> options) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;
    protected IOptions<DeploymentOptions> Options { get; } = options;

    /// <summary>One pass; returns how many decisions it recorded.</summary>
    public abstract Task<int> TickAsync(CancellationToken ct);

    protected abstract void OnTickFailed(string reason);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Value.RolloutControllerEnabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                OnTickFailed(ex.Message);
            }
            await Task.Delay(Options.Value.RolloutPollInterval, Clock, stoppingToken);
        }
    }
}
