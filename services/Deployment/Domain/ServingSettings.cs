namespace DomainPlatform.Deployment.Domain;

/// <summary>
/// How inference holds a version in memory: its total context (shared evenly by its slots), its parallel slots and its
/// GPU layers. Each is optional; an absent one takes inference's default. A version registered with the settings it needs
/// is served with them wherever it is deployed.
/// </summary>
public sealed record ServingSettings
{
    /// <summary>Total context in tokens, split evenly between the slots; default 4096.</summary>
    public int? ContextSize { get; init; }
    /// <summary>Requests decoded together; default 4.</summary>
    public int? ParallelSlots { get; init; }
    /// <summary>Layers offloaded to the GPU: -1 all (default), 0 none.</summary>
    public int? GpuLayers { get; init; }

    /// <summary>Inference's defaults, which a load request leaves implicit (0) except the GPU layers, sent as "all".</summary>
    public const int DefaultContextSize = 4096;
    public const int DefaultParallelSlots = 4;
    public const int AllGpuLayers = -1;
    public const int MaxParallelSlots = 256;
    public const int MaxContextSize = 1 << 22;
    public const int MinTokensPerSlot = 16;
    public const int MaxGpuLayers = 1024;

    public static readonly ServingSettings Default = new();

    public int EffectiveContextSize => ContextSize ?? DefaultContextSize;
    public int EffectiveParallelSlots => ParallelSlots ?? DefaultParallelSlots;
    /// <summary>All layers unless the version says otherwise: llama.cpp places none where there is no GPU.</summary>
    public int EffectiveGpuLayers => GpuLayers ?? AllGpuLayers;

    /// <summary>Every problem with the settings, keyed by field ("serving.contextSize", ...); the same ranges inference enforces.</summary>
    public static Dictionary<string, string[]> Validate(ServingSettings? settings)
    {
        var errors = new Dictionary<string, string[]>();
        if (settings is null) return errors;
        if (settings.ParallelSlots is < 1 or > MaxParallelSlots)
        {
            errors["serving.parallelSlots"] = [$"parallelSlots must be 1..{MaxParallelSlots}, was {settings.ParallelSlots}."];
        }
        var minimum = MinTokensPerSlot * settings.EffectiveParallelSlots;
        if (settings.ContextSize is { } context && (context < minimum || context > MaxContextSize))
        {
            errors["serving.contextSize"] = [$"contextSize must hold at least {MinTokensPerSlot} tokens per slot ({minimum} for {settings.EffectiveParallelSlots} slots) and at most {MaxContextSize}, was {context}."];
        }
        else if (settings.ContextSize is null && settings.ParallelSlots is { } slots && slots * MinTokensPerSlot > DefaultContextSize)
        {
            errors["serving.parallelSlots"] = [$"{slots} slots need a contextSize of at least {slots * MinTokensPerSlot}; the default is {DefaultContextSize}."];
        }
        if (settings.GpuLayers is < AllGpuLayers or > MaxGpuLayers)
        {
            errors["serving.gpuLayers"] = [$"gpuLayers must be -1 (all) or 0..{MaxGpuLayers}, was {settings.GpuLayers}."];
        }
        return errors;
    }
}
