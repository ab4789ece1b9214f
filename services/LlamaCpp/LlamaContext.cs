using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.LlamaCpp.Interop;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.LlamaCpp;

/// <summary>How to create an inference context.</summary>
public sealed record LlamaContextOptions
{
    /// <summary>Total KV cells; 0 means the model's training context.</summary>
    public int ContextSize { get; init; }
    /// <summary>Most tokens one <see cref="LlamaContext.Decode"/> call may carry.</summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>Physical batch size the graph is computed in.</summary>
    public int MicroBatchSize { get; init; } = 512;
    /// <summary>Distinct sequences (slots) the context can hold at once.</summary>
    public int MaxSequences { get; init; } = 1;
    /// <summary>Threads for single-token decoding; null means all cores.</summary>
    public int? Threads { get; init; }
    /// <summary>Threads for prompt and multi-token batches; null means <see cref="Threads"/>.</summary>
    public int? BatchThreads { get; init; }
    /// <summary>One KV buffer shared by all sequences (each may use the whole context) instead of ContextSize / MaxSequences each.</summary>
    public bool UnifiedKvCache { get; init; }
    public bool? FlashAttention { get; init; }
    public bool OffloadKqv { get; init; } = true;
    /// <summary>
    /// An embedding context: every token of a decoded batch is an output and each sequence is pooled into one vector
    /// (<see cref="LlamaContext.CopySequenceEmbedding"/>). A pooled sequence must fit one micro-batch.
    /// </summary>
    public bool Embeddings { get; init; }
    /// <summary>How an embedding context pools a sequence; Unspecified takes the model's own (none for most generative models).</summary>
    public LlamaPoolingType Pooling { get; init; } = LlamaPoolingType.Unspecified;
    /// <summary>F32 KV cache: training needs it (ggml has no F16 OUT_PROD for the backward pass).</summary>
    internal bool F32KvCache { get; init; }

    internal void Validate()
    {
        Check(ContextSize >= 0, $"ContextSize must be >= 0, was {ContextSize}.");
        Check(BatchSize >= 1, $"BatchSize must be >= 1, was {BatchSize}.");
        Check(MicroBatchSize >= 1 && MicroBatchSize <= BatchSize, $"MicroBatchSize must be 1..BatchSize ({BatchSize}), was {MicroBatchSize}.");
        Check(MaxSequences >= 1, $"MaxSequences must be >= 1, was {MaxSequences}.");
        Check(Threads is null or >= 1, $"Threads must be >= 1, was {Threads}.");
        Check(BatchThreads is null or >= 1, $"BatchThreads must be >= 1, was {BatchThreads}.");
        Check(Enum.IsDefined(Pooling), $"Pooling {(int)Pooling} is not a llama.cpp pooling type.");
        Check(Embeddings || Pooling == LlamaPoolingType.Unspecified, "Pooling applies only to an embedding context (Embeddings = true).");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

/// <summary>How an embedding context turns a sequence's token vectors into one (enum llama_pooling_type).</summary>
public enum LlamaPoolingType
{
    Unspecified = -1,
    /// <summary>No pooling: one vector per token.</summary>
    None = 0,
    Mean = 1,
    /// <summary>The first token's vector (BERT's [CLS]).</summary>
    Cls = 2,
    /// <summary>The last token's vector.</summary>
    Last = 3,
    /// <summary>A reranker's classification score, not an embedding.</summary>
    Rank = 4,
}

/// <summary>Outcome of llama_decode, numbered as llama.h documents it.</summary>
public enum LlamaDecodeStatus
{
    Success = 0,
    /// <summary>No KV slot for the batch: free sequences or use a smaller batch.</summary>
    NoKvSlot = 1,
    Aborted = 2,
    InvalidBatch = -1,
    Fatal = -2,
}

public sealed class LlamaDecodeException(LlamaDecodeStatus status, int code, string message) : LlamaException(message)
{
    public LlamaDecodeStatus Status { get; } = status;
    public int Code { get; } = code;
}

/// <summary>Timings llama.cpp keeps per context.</summary>
public sealed record LlamaPerformance(double LoadMs, double PromptEvalMs, double EvalMs, int PromptTokens, int EvalTokens);

/// <summary>
/// A llama.cpp context: KV cache, decode and logits. Not thread-safe: one caller at a time
/// (the inference scheduler owns each context).
/// </summary>
public sealed class LlamaContext : IDisposable
{
    private readonly SafeLlamaContextHandle _handle;
    private readonly nint _memory;
    // Batch indexes that asked for logits in the last decode; llama_get_logits_ith must not see others.
    private bool[] _outputs = [];

    private LlamaContext(LlamaModel model, SafeLlamaContextHandle handle, GgmlType keyType, GgmlType valueType)
    {
        Model = model;
        KeyCacheType = keyType;
        ValueCacheType = valueType;
        _handle = handle;
        _memory = NativeMethods.llama_get_memory(handle);
        ContextSize = (int)NativeMethods.llama_n_ctx(handle);
        SequenceContextSize = (int)NativeMethods.llama_n_ctx_seq(handle);
        BatchSize = (int)NativeMethods.llama_n_batch(handle);
        MicroBatchSize = (int)NativeMethods.llama_n_ubatch(handle);
        MaxSequences = (int)NativeMethods.llama_n_seq_max(handle);
        Threads = NativeMethods.llama_n_threads(handle);
        BatchThreads = NativeMethods.llama_n_threads_batch(handle);
        Pooling = NativeMethods.llama_pooling_type(handle);
    }

    public LlamaModel Model { get; }
    public int ContextSize { get; }
    /// <summary>KV cells available to one sequence.</summary>
    public int SequenceContextSize { get; }
    public int BatchSize { get; }
    public int MicroBatchSize { get; }
    public int MaxSequences { get; }
    public int Threads { get; }
    public int BatchThreads { get; }
    /// <summary>Whether decodes output embeddings (an embedding context).</summary>
    public bool Embeddings { get; private init; }
    /// <summary>The pooling the context applies (None for a generation context).</summary>
    public LlamaPoolingType Pooling { get; }
    /// <summary>Element type of the KV cache's keys (F16 unless the context was made for training).</summary>
    public GgmlType KeyCacheType { get; }
    public GgmlType ValueCacheType { get; }

    /// <summary>Bytes of the KV cache llama.cpp allocated for this context's <see cref="ContextSize"/> cells.</summary>
    public long KvCacheBytes => LlamaKvCache.Bytes(Model.LayerCount, ContextSize, Model.KvWidth, Model.KvWidth, KeyCacheType, ValueCacheType);

    internal SafeLlamaContextHandle Handle => _handle;

    internal static LlamaContext Create(LlamaModel model, LlamaContextOptions options)
    {
        options.Validate();
        var maxSequences = (int)NativeMethods.llama_max_parallel_sequences();
        if (options.MaxSequences > maxSequences)
        {
            throw new ArgumentException($"MaxSequences must be at most {maxSequences}, was {options.MaxSequences}.");
        }
        var parameters = NativeMethods.llama_context_default_params();
        parameters.NCtx = (uint)options.ContextSize;
        parameters.NBatch = (uint)options.BatchSize;
        parameters.NUbatch = (uint)options.MicroBatchSize;
        parameters.NSeqMax = (uint)options.MaxSequences;
        var threads = options.Threads ?? Environment.ProcessorCount;
        parameters.NThreads = threads;
        parameters.NThreadsBatch = options.BatchThreads ?? threads;
        parameters.KvUnified = options.UnifiedKvCache ? (byte)1 : (byte)0;
        parameters.OffloadKqv = options.OffloadKqv ? (byte)1 : (byte)0;
        parameters.Embeddings = options.Embeddings ? (byte)1 : (byte)0;
        parameters.PoolingType = options.Pooling;
        // Timings are a few clock reads per decode and feed GetPerformance.
        parameters.NoPerf = 0;
        if (options.F32KvCache)
        {
            parameters.TypeK = GgmlType.F32;
            parameters.TypeV = GgmlType.F32;
        }
        parameters.FlashAttentionType = options.FlashAttention switch
        {
            true => LlamaFlashAttentionType.Enabled,
            false => LlamaFlashAttentionType.Disabled,
            null => LlamaFlashAttentionType.Auto,
        };

        LlamaRuntime.ClearLastError();
        var handle = NativeMethods.llama_init_from_model(model.Handle, parameters);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new LlamaException($"llama.cpp could not create a context: {LlamaRuntime.LastError ?? "no reason given"}");
        }
        handle.HoldModel(model.Handle);
        var context = new LlamaContext(model, handle, parameters.TypeK, parameters.TypeV) { Embeddings = options.Embeddings };
        LlamaRuntime.Logger.LogDebug(
            "Context: n_ctx={Ctx} (per sequence {SeqCtx}), n_batch={Batch}, n_ubatch={UBatch}, n_seq_max={Seq}, threads={Threads}/{BatchThreads}",
            context.ContextSize, context.SequenceContextSize, context.BatchSize, context.MicroBatchSize, context.MaxSequences,
            context.Threads, context.BatchThreads);
        return context;
    }

    /// <summary>Decodes the batch; throws <see cref="LlamaDecodeException"/> on any status but success.</summary>
    public void Decode(LlamaBatch batch)
    {
        var status = TryDecode(batch, out var code);
        if (status != LlamaDecodeStatus.Success)
        {
            throw new LlamaDecodeException(status, code, status switch
            {
                LlamaDecodeStatus.NoKvSlot => $"No KV cache slot for a batch of {batch.Count} tokens (context {ContextSize}); free sequences or shrink the batch.",
                LlamaDecodeStatus.Aborted => "Decode was aborted.",
                LlamaDecodeStatus.InvalidBatch => $"llama.cpp refused the batch: {LlamaRuntime.LastError ?? "invalid input"}",
                _ => $"llama_decode failed with code {code}: {LlamaRuntime.LastError ?? "no reason given"}",
            });
        }
    }

    /// <summary>Decodes the batch and reports the status, so a scheduler can react to a full KV cache.</summary>
    public LlamaDecodeStatus TryDecode(LlamaBatch batch, out int code)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.ValidateFor(this);
        using var lease = new HandleLease(_handle);
        LlamaRuntime.ClearLastError();
        code = NativeMethods.llama_decode(_handle, batch.Native);
        _outputs = code == 0 ? batch.CopyOutputFlags() : [];
        return code switch
        {
            0 => LlamaDecodeStatus.Success,
            1 => LlamaDecodeStatus.NoKvSlot,
            2 => LlamaDecodeStatus.Aborted,
            -1 => LlamaDecodeStatus.InvalidBatch,
            _ => LlamaDecodeStatus.Fatal,
        };
    }

    /// <summary>Whether the last decode produced logits for this batch index.</summary>
    public bool HasLogits(int batchIndex) => batchIndex >= 0 && batchIndex < _outputs.Length && _outputs[batchIndex];

    /// <summary>Copies the logits of a batch index that asked for them in the last decode.</summary>
    public void CopyLogits(int batchIndex, Span<float> destination)
    {
        var vocab = Model.Vocab.Count;
        if (destination.Length < vocab)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; the vocabulary has {vocab}.", nameof(destination));
        }
        using var lease = new HandleLease(_handle);
        unsafe
        {
            var logits = LogitsPointer(batchIndex);
            new ReadOnlySpan<float>(logits, vocab).CopyTo(destination);
        }
    }

    public float[] GetLogits(int batchIndex)
    {
        var logits = new float[Model.Vocab.Count];
        CopyLogits(batchIndex, logits);
        return logits;
    }

    internal unsafe float* LogitsPointer(int batchIndex)
    {
        if (!HasLogits(batchIndex))
        {
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex,
                "The last decoded batch did not request logits at this index.");
        }
        var logits = NativeMethods.llama_get_logits_ith(_handle, batchIndex);
        if (logits == null)
        {
            throw new LlamaException($"llama.cpp has no logits for batch index {batchIndex}: {LlamaRuntime.LastError}");
        }
        return logits;
    }

    /// <summary>
    /// Copies the pooled embedding of a sequence of the last decode (raw, not normalised) into <paramref name="destination"/>,
    /// which holds <see cref="LlamaModel.EmbeddingOutputSize"/> floats. Only an embedding context that pools has them.
    /// </summary>
    public void CopySequenceEmbedding(int sequenceId, Span<float> destination)
    {
        CheckSequence(sequenceId, allowAny: false);
        if (!Embeddings || Pooling is LlamaPoolingType.None or LlamaPoolingType.Unspecified or LlamaPoolingType.Rank)
        {
            throw new InvalidOperationException($"This context does not pool embeddings (embeddings {Embeddings}, pooling {Pooling}).");
        }
        var size = Model.EmbeddingOutputSize;
        if (destination.Length < size)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; the embedding has {size}.", nameof(destination));
        }
        using var lease = new HandleLease(_handle);
        unsafe
        {
            var embedding = NativeMethods.llama_get_embeddings_seq(_handle, sequenceId);
            if (embedding == null)
            {
                throw new LlamaException($"llama.cpp has no embedding for sequence {sequenceId}: it was not in the last decoded batch.");
            }
            new ReadOnlySpan<float>(embedding, size).CopyTo(destination);
        }
    }

    /// <summary>Empties the KV cache of every sequence.</summary>
    public void ClearMemory(bool clearData = true)
    {
        using var lease = new HandleLease(_handle);
        NativeMethods.llama_memory_clear(_memory, clearData);
        _outputs = [];
    }

    /// <summary>Removes a sequence's tokens at positions [from, to); -1 bounds mean open. A negative sequence id matches all sequences.</summary>
    public bool RemoveTokens(int sequenceId, int fromPosition = -1, int toPosition = -1)
    {
        CheckSequence(sequenceId, allowAny: true);
        using var lease = new HandleLease(_handle);
        return NativeMethods.llama_memory_seq_rm(_memory, sequenceId, fromPosition, toPosition);
    }

    /// <summary>Frees every KV cell of a sequence.</summary>
    public void RemoveSequence(int sequenceId) => RemoveTokens(sequenceId);

    /// <summary>Gives another sequence the cells [from, to) of this one: shared cells in a unified cache, a copy between per-sequence streams otherwise.</summary>
    public void CopySequence(int sourceSequenceId, int destinationSequenceId, int fromPosition = -1, int toPosition = -1)
    {
        CheckSequence(sourceSequenceId, allowAny: false);
        CheckSequence(destinationSequenceId, allowAny: false);
        using var lease = new HandleLease(_handle);
        NativeMethods.llama_memory_seq_cp(_memory, sourceSequenceId, destinationSequenceId, fromPosition, toPosition);
    }

    /// <summary>Removes every sequence except this one (with a per-sequence cache, only from this sequence's own stream).</summary>
    public void KeepSequence(int sequenceId)
    {
        CheckSequence(sequenceId, allowAny: false);
        using var lease = new HandleLease(_handle);
        NativeMethods.llama_memory_seq_keep(_memory, sequenceId);
    }

    /// <summary>Adds <paramref name="delta"/> to positions in [from, to) of a sequence (context shifting).</summary>
    public void ShiftPositions(int sequenceId, int fromPosition, int toPosition, int delta)
    {
        CheckSequence(sequenceId, allowAny: false);
        using var lease = new HandleLease(_handle);
        NativeMethods.llama_memory_seq_add(_memory, sequenceId, fromPosition, toPosition, delta);
    }

    /// <summary>Largest position the sequence holds, or -1 when it is empty.</summary>
    public int GetSequenceMaxPosition(int sequenceId)
    {
        CheckSequence(sequenceId, allowAny: false);
        using var lease = new HandleLease(_handle);
        return NativeMethods.llama_memory_seq_pos_max(_memory, sequenceId);
    }

    /// <summary>Smallest position the sequence holds, or -1 when it is empty.</summary>
    public int GetSequenceMinPosition(int sequenceId)
    {
        CheckSequence(sequenceId, allowAny: false);
        using var lease = new HandleLease(_handle);
        return NativeMethods.llama_memory_seq_pos_min(_memory, sequenceId);
    }

    public LlamaPerformance GetPerformance()
    {
        using var lease = new HandleLease(_handle);
        var data = NativeMethods.llama_perf_context(_handle);
        return new LlamaPerformance(data.LoadMs, data.PromptEvalMs, data.EvalMs, data.PromptEvalCount, data.EvalCount);
    }

    public void Dispose() => _handle.Dispose();

    private void CheckSequence(int sequenceId, bool allowAny)
    {
        if (sequenceId >= MaxSequences || (sequenceId < 0 && !allowAny))
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceId), sequenceId, $"Sequence ids run from 0 to {MaxSequences - 1}.");
        }
    }
}
