using DomainPlatform.Training.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training;

/// <summary>The "Training" configuration section.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>The GGUF model a job starts from when it names none.</summary>
    public string? BaseModelPath { get; set; }

    /// <summary>The registry version of the base model, reported with each result.</summary>
    public string? BaseModelVersion { get; set; }

    /// <summary>Where job artifacts are written; the launcher sets it under .platform/data/training.</summary>
    public string ArtifactDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "domainplatform", "models");

    public int DefaultEpochs { get; set; } = 1;
    public double DefaultLearningRate { get; set; } = 1e-4;

    /// <summary>The share of a dataset held out for validation.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ArtifactDirectory)) yield return "Training:ArtifactDirectory must name a folder.";
        if (DefaultEpochs is < 1 or > JobRules.MaxEpochs) yield return $"Training:DefaultEpochs must be between 1 and {JobRules.MaxEpochs}.";
        if (!JobRules.IsValidLearningRate(DefaultLearningRate)) yield return "Training:DefaultLearningRate must be a finite number in (0, 1].";
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) yield return "Training:ValidationFraction must be between 0 and 1.";
    }
}

internal sealed class TrainingOptionsValidator : IValidateOptions<TrainingOptions>
{
    public ValidateOptionsResult Validate(string? name, TrainingOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
