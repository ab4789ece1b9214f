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

/// <summary>
/// A running job reported progress (about once a second while it trains): where it is, and its latest losses when the
/// report carries them. For live views; the job's kept history is <c>GET /api/training/jobs/{id}/history</c>.
/// </summary>
[EventName("domainplatform.training-progressed")]
public sealed record TrainingProgressed(
    Guid JobId,
    string Domain,
    int Epoch,
    int TotalEpochs,
    int Step,
    int TotalSteps,
    [property: System.ComponentModel.Description("Overall completion across all epochs, 0..1.")]
    double Progress,
    [property: System.ComponentModel.Description("The running or epoch's training loss in nats per token; null when this report carries none.")]
    double? TrainingLoss,
    [property: System.ComponentModel.Description("The validation loss in nats per token; null when this report carries none.")]
    double? ValidationLoss,
    [property: System.ComponentModel.Description("Tokens the trainer processed per second so far in the running epoch; null when unknown.")]
    double? TokensPerSecond,
    string Message) : IntegrationEvent;

public sealed record TrainingMetrics(double TrainingLoss, double ValidationLoss, double Accuracy, double LatencyMs);
