namespace DomainPlatform.Training.Domain;

/// <summary>Validation of a job request, pure so each rule is unit-tested.</summary>
public static class JobRules
{
    public const int MaxEpochs = 1000;

    /// <summary>Below it a step changes no weight a float can hold: a denormal rate trains nothing.</summary>
    public const double MinLearningRate = 1e-8;

    public static bool IsValidLearningRate(double rate) => double.IsFinite(rate) && rate >= MinLearningRate && rate <= 1;

    public static Dictionary<string, string[]> Validate(Guid? datasetId, int? epochs, double? learningRate, string? baseModelPath)
    {
        var errors = new Dictionary<string, string[]>();
        if (datasetId is null || datasetId == Guid.Empty) errors["datasetId"] = ["A datasetId is required (a dataset announced by DatasetReady)."];
        if (epochs is < 1 or > MaxEpochs) errors["epochs"] = [$"epochs must be between 1 and {MaxEpochs}."];
        if (learningRate is { } rate && !IsValidLearningRate(rate)) errors["learningRate"] = ["learningRate is a number from 0.00000001 (1e-8) to 1."];
        if (baseModelPath is not null && (!Path.IsPathFullyQualified(baseModelPath) || !baseModelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)))
        {
            errors["baseModelPath"] = ["baseModelPath must be an absolute path to a .gguf file."];
        }
        return errors;
    }
}
