using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DomainPlatform.Experimentation.Monitoring;

/// <summary>Publishes learned routing weights at most every interval, from one replica (a Redis lease).</summary>
public sealed partial class RoutingPublisher(
    IOptions<RoutingOptions> options, RoutingStore store, IConnectionMultiplexer redis, TimeProvider clock, ILogger<RoutingPublisher> logger) : BackgroundService
{
    private const string LeaseKey = "experimentation:routing:lease";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.PublishIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
                if (!await redis.GetDatabase().StringSetAsync(LeaseKey, Environment.ProcessId, interval, When.NotExists)) continue;
                var learned = (await store.ListAsync(stoppingToken)).Where(s => s.RewardCount > 0).ToArray();
                if (learned.Length == 0) continue;
                await store.PublishAsync(RoutingOptimizer.Weights(learned, options.Value.Draws, Random.Shared), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPublishFailed(ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing routing weights failed, trying again next interval: {Reason}")]
    private partial void LogPublishFailed(string reason);
}
