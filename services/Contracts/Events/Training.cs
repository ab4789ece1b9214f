namespace DomainPlatform.Contracts.Events;

/// <summary>A training job finished, successfully or not; on success the artifact is ready to register.</summary>
[EventName("domainplatform.training-completed")]
public sealed record TrainingCompleted(
    Guid JobId,
    string Domain,
    Guid DatasetId,
    bool Succeeded,
    string? ArtifactPath,
    string? ArtifactSha256,
    long? ArtifactSizeBytes,
    string? BaseModelVersion,
    TrainingMetrics? Metrics,
    string? Error) : IntegrationEvent;

public sealed record TrainingMetrics(double TrainingLoss, double ValidationLoss, double Accuracy, double LatencyMs);
