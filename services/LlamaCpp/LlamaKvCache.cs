using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp;

/// <summary>
/// The KV cache llama.cpp allocates for a context of a standard-attention model (llama_kv_cache: one K and one V tensor
/// per layer of <c>width x cells</c> in the cache's types; the cells are llama_n_ctx, every sequence's stream together).
/// </summary>
public static class LlamaKvCache
{
    /// <summary>Bytes of K and V over all layers; throws for a type ggml cannot lay out in rows of that width.</summary>
    public static long Bytes(int layers, int cells, int keyWidth, int valueWidth, GgmlType keyType, GgmlType valueType)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfNegative(cells);
        return checked(layers * (long)cells * (RowBytes(keyType, keyWidth) + RowBytes(valueType, valueWidth)));
    }

    /// <summary>Bytes of one cell's row of one layer (ggml_row_size).</summary>
    public static long RowBytes(GgmlType type, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        return width == 0 ? 0 : (long)(GgmlTypeTraits.ByteSize(type, [(ulong)width])
            ?? throw new ArgumentException($"A row of {width} {type} elements is not a whole number of ggml blocks.", nameof(width)));
    }
}
