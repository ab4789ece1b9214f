using System.ComponentModel;

namespace DomainPlatform.Contracts.Events;

/// <summary>The outcome of one request served through the gateway.</summary>
/// <param name="ClientError">
/// The request failed because of the client (a 4xx the variant's answer attributes to the request, such as a parameter
/// inference refused), not because of the model: it says nothing about the variant and is left out of its error rate.
/// A context length exceeded on the variant's model is not a client error. Absent in older events: false.
/// </param>
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
    [property: Description("The key the variant was assigned by (the body field user, else X-User-Id, else the API key id), as the first 16 hex " +
                           "digits of HMAC-SHA256 keyed with the platform secret Platform:AssignmentKeySecret: equal for the same user " +
                           "within one deployment (one secret), and not reversible by hashing guessed ids. Never the key itself.")]
    string AssignmentKeyHash,
    Guid? ExperimentId,
    [property: Description("True when the request failed because of the client (a parameter the variant refused), not the model: " +
                           "consumers leave it out of the error rate and samples. A context length exceeded is not a client error. " +
                           "Absent in events of older gateways: false.")]
    bool ClientError = false,
    [property: Description("Device time, in milliseconds, that other models on the same inference device took while this request was in " +
                           "flight (inference's timings.shared_device_ms): LatencyMs less this is what the variant's own model cost. " +
                           "Null for cached answers, errors and older gateways or inference services.")]
    double? SharedDeviceMs = null) : IntegrationEvent;

/// <summary>A user's judgement of a response: a score in [0, 1] or thumbs, with an optional label.</summary>
[EventName("domainplatform.feedback-received")]
public sealed record FeedbackReceived(
    string RequestId,
    string? Domain,
    string? Variant,
    double? Score,
    bool? ThumbsUp,
    string? Label) : IntegrationEvent;
