using ContractRoute = DomainPlatform.Contracts.Events.DomainRoute;
using ContractVariant = DomainPlatform.Contracts.Events.RouteVariant;
using DomainPlatform.Protos.Deployment;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// Reads the route table from deployment over gRPC at start (retrying until deployment answers) and
/// again every <see cref="RoutingOptions.RouteTableRefresh"/> as a safety net; RouteTableChanged
/// events carry changes in between.
/// </summary>
internal sealed partial class RouteTableSync(
    ModelRegistry.ModelRegistryClient registry, RouteTableState state, IOptions<RoutingOptions> options, ILogger<RouteTableSync> logger)
    : BackgroundService
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryDelay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var table = await registry.GetRouteTableAsync(new GetRouteTableRequest(), deadline: DateTime.UtcNow + CallDeadline, cancellationToken: stoppingToken);
                await state.ApplyAsync(table.Revision, FromProto(table), "deployment gRPC", stoppingToken);
                retryDelay = TimeSpan.FromMilliseconds(500);
                wait = options.Value.RouteTableRefresh;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException or InvalidOperationException)
            {
                LogUnavailable(retryDelay.TotalSeconds, ex.Message);
                wait = retryDelay;
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
            await Task.Delay(wait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public static IReadOnlyList<ContractRoute> FromProto(RouteTable table) =>
        table.Domains.Select(d => new ContractRoute(
                d.Domain, [.. d.Aliases], [.. d.Keywords], d.Salt,
                d.Variants.Select(v => new ContractVariant(v.Name, v.ModelVersion, v.ModelId, v.WeightPercent, v.Destination)).ToList(),
                d.Cache is { } cache ? new DomainPlatform.Contracts.Events.RouteCache(cache.Enabled, cache.TtlSeconds) : null,
                d.MaxTokens > 0 ? d.MaxTokens : null,
                d.CreatedUnixSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(d.CreatedUnixSeconds) : null))
            .ToList();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Route table not available from deployment, retrying in {Seconds} s: {Reason}")]
    private partial void LogUnavailable(double seconds, string reason);
}

public sealed class RoutingOptions
{
    public const string Section = "Gateway:Routing";

    /// <summary>How often the full table is re-read even without events (a missed event heals within this).</summary>
    public TimeSpan RouteTableRefresh { get; set; } = TimeSpan.FromMinutes(1);
}
