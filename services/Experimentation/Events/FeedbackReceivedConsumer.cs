using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Experimentation.Events;

/// <summary>
/// Counts a judgement for the arm that served its request (joined by request id), in the time bucket of that request.
/// Feedback may overtake its request (they travel on different queues): while it is young it is retried until the
/// request arrives; older feedback for a request never seen counts for the domain and variant it names, outside any
/// experiment, or is dropped when it names none.
/// </summary>
public sealed class FeedbackReceivedConsumer(NpgsqlDataSource dataSource, OutboxSignal outboxSignal, IOptions<RoutingOptions> routing)
    : IdempotentConsumer<FeedbackReceived>(dataSource, outboxSignal)
{
    /// <summary>How long feedback waits (through the bus's retries) for its request's outcome event; within the bus's longest wait.</summary>
    public static readonly TimeSpan WaitForRequest = TimeSpan.FromSeconds(10);

    protected override async Task HandleAsync(FeedbackReceived evt, EventTransaction tx, CancellationToken ct)
    {
        var observations = OutcomeMetrics.FromFeedback(evt);
        if (observations.Count == 0 || string.IsNullOrWhiteSpace(evt.RequestId)) return;
        var request = await MetricStore.FindRequestAsync(tx.Connection, tx.Transaction, evt.RequestId, ct);
        Attribution where;
        DateTime bucket;
        if (request is not null)
        {
            where = new Attribution(request.Domain, request.Variant, request.ModelVersion, request.ExperimentId, request.Phase);
            bucket = OutcomeMetrics.BucketOf(new DateTimeOffset(DateTime.SpecifyKind(request.OccurredAt, DateTimeKind.Utc)));
        }
        else if (DateTimeOffset.UtcNow - evt.OccurredAt < WaitForRequest)
        {
            throw new RequestNotSeenYetException(evt.RequestId);
        }
        else if (!string.IsNullOrWhiteSpace(evt.Domain))
        {
            where = new Attribution(evt.Domain, evt.Variant ?? "", "", Guid.Empty, 0);
            bucket = OutcomeMetrics.BucketOf(evt.OccurredAt);
        }
        else
        {
            return;
        }
        await MetricStore.RecordAsync(tx.Connection, tx.Transaction, where, bucket, observations, ct);
        var score = OutcomeMetrics.ScoreOf(evt)!.Value;
        var reward = RoutingOptimizer.Reward(score, request?.LatencyMs, routing.Value.LatencyPenaltyPerSecond);
        await RoutingStore.AddRewardAsync(tx.Connection, tx.Transaction, where.Domain, score, reward, ct);
    }
}

/// <summary>Thrown to have the bus retry feedback that arrived before its request's outcome.</summary>
public sealed class RequestNotSeenYetException(string requestId)
    : EventNotYetArrivedException($"Feedback for request '{requestId}' arrived before the request's outcome; retrying.");
