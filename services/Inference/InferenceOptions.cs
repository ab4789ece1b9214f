using System.ComponentModel.DataAnnotations;
using DomainPlatform.Inference.Domain;

namespace DomainPlatform.Inference;

/// <summary>The "Inference" configuration section.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";
    public const string DemoModelId = "demo";

    /// <summary>Models to load at start (<c>Inference:Models:&lt;n&gt;:Id/Path/...</c>).</summary>
    public List<ModelSettings> Models { get; set; } = [];

    /// <summary>A GGUF path loaded under the id "demo" when the file exists.</summary>
    public string? DemoModel { get; set; }

    /// <summary>Bytes all loaded models may use together; null means 80% of the available RAM (or VRAM when layers go to a GPU).</summary>
    [Range(1L, long.MaxValue)]
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>Requests that may wait for a slot, per model, before new ones get 429.</summary>
    [Range(0, 100_000)]
    public int MaxQueueLength { get; set; } = 64;

    /// <summary>Most prompt tokens one decode step takes while other sequences are generating (chunked prefill).</summary>
    [Range(1, 65_536)]
    public int PrefillChunkTokens { get; set; } = 128;

    /// <summary>Tokens one llama_decode call may carry (n_batch).</summary>
    [Range(1, 65_536)]
    public int BatchSize { get; set; } = 512;

    /// <summary>CPU threads of each decode step (the models of a device take turns, each step with all of them); null means every core.</summary>
    [Range(1, 1024)]
    public int? Threads { get; set; }

    /// <summary>Seconds a 429 answer tells the client to wait.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>One model to load: where it is and how to run it.</summary>
public sealed class ModelSettings
{
    public string? Id { get; set; }
    public string? Path { get; set; }
    public string? Sha256 { get; set; }
    public int GpuLayers { get; set; } = ModelSpec.AllLayers;
    public int ContextSize { get; set; } = ModelSpec.DefaultContextSize;
    public int ParallelSlots { get; set; } = ModelSpec.DefaultParallelSlots;

    public ModelSpec ToSpec() => new(Id ?? "", Path ?? "", string.IsNullOrWhiteSpace(Sha256) ? null : Sha256, GpuLayers, ContextSize, ParallelSlots);
}
