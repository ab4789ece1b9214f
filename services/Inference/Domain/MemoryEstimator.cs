using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.Inference.Domain;

/// <summary>The figures of a GGUF model that decide how much memory it needs.</summary>
public sealed record ModelShape(long TensorBytes, int Layers, int EmbeddingSize, int Heads, int KvHeads, int FeedForwardSize, int VocabularySize)
{
    /// <summary>Reads the shape from a validated GGUF header.</summary>
    public static ModelShape FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var architecture = file.Architecture ?? throw new GgufFormatException("general.architecture is missing.");
        int Integer(string key, int fallback) => (int)Math.Clamp(file.GetInteger($"{architecture}.{key}") ?? fallback, 0, int.MaxValue);
        var heads = Integer("attention.head_count", 1);
        var vocabulary = file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens) ? tokens.ArrayLength : 0;
        return new ModelShape(
            (long)file.TensorDataBytes,
            Integer("block_count", 0),
            Integer("embedding_length", 0),
            heads,
            Integer("attention.head_count_kv", heads),
            Integer("feed_forward_length", 0),
            vocabulary);
    }
}

/// <summary>
/// Bytes a loaded model takes: its weights, its KV cache (F16), the compute buffers of one batch, and its embedding context
/// (created with the first /v1/embeddings request, reserved from the load on so that it can never overrun the budget).
/// </summary>
public sealed record MemoryEstimate(long WeightsBytes, long KvCacheBytes, long ComputeBytes, long EmbeddingBytes = 0)
{
    public long TotalBytes => WeightsBytes + KvCacheBytes + ComputeBytes + EmbeddingBytes;
}

public static class MemoryEstimator
{
    private const long F32Bytes = 4;

    public static MemoryEstimate Estimate(ModelShape shape, int contextSize, int parallelSlots, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelSlots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var headSize = shape.Heads == 0 ? 0L : shape.EmbeddingSize / shape.Heads;
        var kvWidth = headSize * shape.KvHeads;
        // K and V, per layer, per cell: the layout a context reports once loaded (LlamaContext.KvCacheBytes).
        var kv = LlamaKvCache.Bytes(shape.Layers, contextSize, (int)kvWidth, (int)kvWidth, GgmlType.F16, GgmlType.F16);
        var contextPerSlot = Math.Max(1, contextSize / parallelSlots);
        // The embedding context holds one input of at most a slot's context and a batch: its cells and one batch over them.
        var embeddingTokens = Math.Min(contextPerSlot, batchSize);
        var embedding = LlamaKvCache.Bytes(shape.Layers, embeddingTokens, (int)kvWidth, (int)kvWidth, GgmlType.F16, GgmlType.F16)
            + Compute(shape, embeddingTokens, embeddingTokens);
        return new MemoryEstimate(shape.TensorBytes, kv, Compute(shape, batchSize, contextPerSlot), embedding);
    }

    /// <summary>One batch's activations, its attention scores over a sequence's context, and its logits.</summary>
    private static long Compute(ModelShape shape, int batchSize, int sequenceContext)
    {
        var activations = (long)batchSize * (4L * shape.EmbeddingSize + 2L * shape.FeedForwardSize) * F32Bytes;
        var scores = (long)batchSize * sequenceContext * shape.Heads * F32Bytes;
        var logits = (long)batchSize * shape.VocabularySize * F32Bytes;
        return activations + scores + logits;
    }

    /// <summary>80% of what the machine has free: room is left for the process itself and the OS.</summary>
    public static long DefaultBudget(long availableBytes) => Math.Max(0, availableBytes / 10 * 8);

    /// <summary>Null when the model fits beside what is loaded; otherwise the refusal with the figures.</summary>
    public static string? Refusal(string modelId, MemoryEstimate estimate, long reservedBytes, long budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        if (reservedBytes + estimate.TotalBytes <= budgetBytes)
        {
            return null;
        }
        return $"Model '{modelId}' needs about {MiB(estimate.TotalBytes)} MiB (weights {MiB(estimate.WeightsBytes)}, " +
               $"KV cache {MiB(estimate.KvCacheBytes)}, compute {MiB(estimate.ComputeBytes)}, embeddings {MiB(estimate.EmbeddingBytes)}) but only " +
               $"{MiB(Math.Max(0, budgetBytes - reservedBytes))} MiB of the {MiB(budgetBytes)} MiB budget is free " +
               $"({MiB(reservedBytes)} MiB held by loaded models). Unload a model, lower ContextSize or raise Inference:MemoryBudgetBytes.";
    }

    private static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
