using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Events;

/// <summary>
/// Counts each served request once into its variant's aggregates and remembers where it went, for feedback. A client error
/// is not the variant's doing and is not counted anywhere (not in the error rate, samples, routing decisions or feedback).
/// </summary>
public sealed class InferenceCompletedConsumer(NpgsqlDataSource dataSource, OutboxSignal outboxSignal)
    : IdempotentConsumer<InferenceCompleted>(dataSource, outboxSignal)
{
    protected override async Task HandleAsync(InferenceCompleted evt, EventTransaction tx, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(evt.Domain) || string.IsNullOrWhiteSpace(evt.RequestId) || evt.ClientError) return;
        var where = await MetricStore.AttributeAsync(tx.Connection, tx.Transaction, evt.Domain, evt.Variant ?? "", evt.ModelVersion ?? "",
            evt.ExperimentId, evt.OccurredAt, ct);
        await MetricStore.RecordAsync(tx.Connection, tx.Transaction, where, OutcomeMetrics.BucketOf(evt.OccurredAt), OutcomeMetrics.FromInference(evt), ct);
        if (OutcomeMetrics.LatencySampleOf(evt) is { } sample)
            await MetricStore.RecordLatencyAsync(tx.Connection, tx.Transaction, where, OutcomeMetrics.BucketOf(evt.OccurredAt), sample, ct);
        double? latency = evt.Succeeded && !evt.CacheHit ? evt.LatencyMs : null;
        await MetricStore.RememberRequestAsync(tx.Connection, tx.Transaction, evt.RequestId, where, latency, evt.OccurredAt, ct, failed: !evt.Succeeded);
        await RoutingStore.CountDecisionAsync(tx.Connection, tx.Transaction, evt.Domain, latency, ct);
    }
}
