using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DomainPlatform.EventBus;

/// <summary>
/// What the outbox holds, as the dispatcher last counted it: rows waiting to be published and rows set aside (an event
/// this replica does not know, a payload it cannot read). Read by the <c>outbox</c> health check and the
/// <c>DomainPlatform.EventBus</c> meter's gauges.
/// </summary>
public sealed class OutboxState
{
    public const string MeterName = "DomainPlatform.EventBus";

    private volatile Snapshot _last = new(0, 0, null);

    public OutboxState(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("eventbus.outbox.pending", () => _last.Pending, "{event}", "Outbox rows not yet published (set-aside rows included).");
        meter.CreateObservableGauge("eventbus.outbox.set_aside", () => _last.SetAside, "{event}", "Outbox rows set aside: an event this replica does not know, or a payload it cannot read.");
        Published = meter.CreateCounter<long>("eventbus.outbox.published", "{event}", "Outbox rows published with the broker's confirm.");
        PublishFailures = meter.CreateCounter<long>("eventbus.outbox.publish_failures", "{batch}", "Outbox batches that failed or timed out, to be retried.");
    }

    public sealed record Snapshot(long Pending, long SetAside, SetAsideRow? Oldest);

    /// <summary>One set-aside row, as health shows it.</summary>
    public sealed record SetAsideRow(long Sequence, string EventName, string Reason, string? Error, DateTime SetAsideAt);

    public Snapshot Last => _last;

    public Counter<long> Published { get; }

    public Counter<long> PublishFailures { get; }

    internal void Update(Snapshot snapshot) => _last = snapshot;
}

/// <summary>Degraded while the outbox holds set-aside rows: events that will not go out until someone acts.</summary>
public sealed class OutboxHealthCheck(OutboxState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var last = state.Last;
        var data = new Dictionary<string, object> { ["pending"] = last.Pending, ["setAside"] = last.SetAside };
        if (last.SetAside == 0 || last.Oldest is not { } oldest)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"{last.Pending} event(s) waiting to be published.", data));
        }
        return Task.FromResult(HealthCheckResult.Degraded(
            $"{last.SetAside} outbox event(s) set aside and not published; the oldest (#{oldest.Sequence}, {oldest.EventName}, since " +
            $"{oldest.SetAsideAt:O}): {oldest.Reason}: {oldest.Error}", data: data));
    }
}
