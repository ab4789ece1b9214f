using System.Text.RegularExpressions;

namespace DomainPlatform.Inference.Domain;

/// <summary>A model to load: id, GGUF path, expected sha256 (null: not checked), GPU layers, total context and slots.</summary>
public sealed record ModelSpec(string Id, string Path, string? Sha256, int GpuLayers, int ContextSize, int ParallelSlots)
{
    public const int AllLayers = -1;
    public const int DefaultContextSize = 4096;
    public const int DefaultParallelSlots = 4;
    public const int MaxParallelSlots = 256;

    /// <summary>Context cells each slot gets (llama.cpp splits the KV cache evenly between sequences).</summary>
    public int ContextPerSlot => ContextSize / Math.Max(1, ParallelSlots);
}

public static partial class ModelSpecRules
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();

    /// <summary>Every problem with the spec, keyed by field; empty when it can be loaded.</summary>
    public static Dictionary<string, string[]> Validate(ModelSpec spec)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IdPattern().IsMatch(spec.Id))
        {
            errors["id"] = ["A model id is 1-128 characters: letters, digits, '.', '_', ':', '@' or '-' (deployment names versions \"<domain>@<version>\"), starting with a letter or digit."];
        }
        if (string.IsNullOrWhiteSpace(spec.Path))
        {
            errors["path"] = ["A GGUF file path is required."];
        }
        if (spec.Sha256 is not null && !Sha256Pattern().IsMatch(spec.Sha256))
        {
            errors["sha256"] = ["The sha256 must be 64 hexadecimal characters."];
        }
        if (spec.GpuLayers < ModelSpec.AllLayers)
        {
            errors["gpuLayers"] = [$"GPU layers must be -1 (all) or more, was {spec.GpuLayers}."];
        }
        if (spec.ParallelSlots is < 1 or > ModelSpec.MaxParallelSlots)
        {
            errors["parallelSlots"] = [$"Parallel slots must be 1..{ModelSpec.MaxParallelSlots}, was {spec.ParallelSlots}."];
        }
        else if (spec.ContextSize < 16 * spec.ParallelSlots || spec.ContextSize > 1 << 22)
        {
            errors["contextSize"] = [$"The context must hold at least 16 tokens per slot ({16 * spec.ParallelSlots}) and at most {1 << 22}, was {spec.ContextSize}."];
        }
        return errors;
    }

    /// <summary>The errors as one sentence, for gRPC statuses and logs.</summary>
    public static string Describe(Dictionary<string, string[]> errors) =>
        string.Join(" ", errors.Select(pair => $"{pair.Key}: {string.Join(" ", pair.Value)}"));
}
