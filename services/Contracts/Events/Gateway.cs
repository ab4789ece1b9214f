namespace DomainPlatform.Contracts.Events;

/// <summary>The outcome of one request served through the gateway.</summary>
[EventName("domainplatform.inference-completed")]
public sealed record InferenceCompleted(
    string RequestId,
    string Domain,
    string Variant,
    string ModelVersion,
    double LatencyMs,
    double? TimeToFirstTokenMs,
    int TokensIn,
    int TokensOut,
    int StatusCode,
    bool Succeeded,
    bool CacheHit,
    string AssignmentKeyHash,
    Guid? ExperimentId) : IntegrationEvent;

/// <summary>A user's judgement of a response: a score in [0, 1] or thumbs, with an optional label.</summary>
[EventName("domainplatform.feedback-received")]
public sealed record FeedbackReceived(
    string RequestId,
    string? Domain,
    string? Variant,
    double? Score,
    bool? ThumbsUp,
    string? Label) : IntegrationEvent;
