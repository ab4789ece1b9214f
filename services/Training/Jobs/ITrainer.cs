using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Training.Jobs;

/// <summary>What a trainer is asked to do for one job.</summary>
public sealed record TrainingRequest(
    Guid JobId, string Domain, Guid DatasetId, string DatasetPath, string DatasetSha256, string? BaseModelPath, int Epochs, double LearningRate);

/// <summary>A progress report; losses are in nats per token, null until known.</summary>
public sealed record TrainingProgress(int Epoch, int TotalEpochs, int Step, int TotalSteps, double? TrainingLoss, double? ValidationLoss, string Message)
{
    /// <summary>Overall completion in 0..1 across all epochs.</summary>
    public double Fraction => TotalEpochs <= 0 || TotalSteps <= 0
        ? 0
        : Math.Clamp(((Epoch - 1) * (double)TotalSteps + Step) / ((double)TotalEpochs * TotalSteps), 0, 1);

    /// <summary>Tokens processed per second so far in the running epoch, when the trainer measures it.</summary>
    public double? TokensPerSecond { get; init; }

    /// <summary>A rate, or none when no measurable time has passed.</summary>
    public static double? PerSecond(long tokens, TimeSpan elapsed) => elapsed > TimeSpan.Zero ? tokens / elapsed.TotalSeconds : null;
}

/// <summary>A finished training: the artifact to register and the metrics it was judged by.</summary>
public sealed record TrainingResult(string ArtifactPath, string ArtifactSha256, long ArtifactSizeBytes, string? BaseModelVersion, TrainingMetrics Metrics, string Summary);

/// <summary>A job that cannot succeed for a reason worth telling its owner (bad dataset, missing model).</summary>
public sealed class TrainingFailedException(string message) : Exception(message);

/// <summary>
/// The seam between the job runner and whatever produces a model. The runner owns state, progress persistence,
/// cancellation and events; a trainer only turns a request into a result or a <see cref="TrainingFailedException"/>.
/// </summary>
public interface ITrainer
{
    /// <summary>Recorded with each job so a result says what produced it.</summary>
    string Name { get; }

    Task<TrainingResult> TrainAsync(TrainingRequest request, Func<TrainingProgress, CancellationToken, Task> report, CancellationToken ct);
}
