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

    /// <summary>Which trainer runs jobs: "dataset-validation" (checks data, no weights change) or "llama-finetune".</summary>
    public string Trainer { get; set; } = "dataset-validation";

    /// <summary>llama-finetune: tokens per training window, a multiple of 256 (llama.cpp's rule).</summary>
    public int ContextSize { get; set; } = 256;

    /// <summary>llama-finetune: CPU threads, or null for llama.cpp's default.</summary>
    public int? Threads { get; set; }

    /// <summary>llama-finetune: how often a running epoch's batch progress is reported.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>llama-finetune: layers placed on the GPU (-1 all, 0 none); ignored without a GPU.</summary>
    public int GpuLayers { get; set; }

    public static readonly IReadOnlyList<string> Trainers = ["dataset-validation", "llama-finetune"];

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ArtifactDirectory)) yield return "Training:ArtifactDirectory must name a folder.";
        if (DefaultEpochs is < 1 or > JobRules.MaxEpochs) yield return $"Training:DefaultEpochs must be between 1 and {JobRules.MaxEpochs}.";
        if (!JobRules.IsValidLearningRate(DefaultLearningRate)) yield return "Training:DefaultLearningRate is a number from 1e-8 to 1.";
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) yield return "Training:ValidationFraction must be between 0 and 1.";
        if (!Trainers.Contains(Trainer)) yield return $"Training:Trainer must be one of {string.Join(", ", Trainers)}; was '{Trainer}'.";
        if (ContextSize < 256 || ContextSize % 256 != 0) yield return "Training:ContextSize must be a positive multiple of 256.";
        if (Threads is < 1) yield return "Training:Threads must be at least 1 when set.";
        if (ProgressInterval <= TimeSpan.Zero) yield return "Training:ProgressInterval must be positive.";
    }
}

internal sealed class TrainingOptionsValidator : IValidateOptions<TrainingOptions>
{
    public ValidateOptionsResult Validate(string? name, TrainingOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
