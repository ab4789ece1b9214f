using DomainPlatform.LlamaCpp.Interop;

namespace DomainPlatform.LlamaCpp;

/// <summary>
/// A reusable multi-sequence batch for <see cref="LlamaContext.Decode"/>: each entry is a token,
/// its position, the sequences it belongs to and whether to compute its logits. Owns the native
/// arrays from llama_batch_init.
/// </summary>
public sealed class LlamaBatch : IDisposable
{
    private LlamaBatchNative _native;
    private bool _disposed;
    private int _maxToken = -1;
    private int _maxSequence = -1;

    /// <param name="capacity">Most tokens the batch holds.</param>
    /// <param name="maxSequencesPerToken">Most sequence ids one token may belong to (a shared prompt prefix uses several).</param>
    public LlamaBatch(int capacity, int maxSequencesPerToken = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequencesPerToken, 1);
        _ = LlamaRuntime.Info;
        Capacity = capacity;
        MaxSequencesPerToken = maxSequencesPerToken;
        _native = NativeMethods.llama_batch_init(capacity, 0, maxSequencesPerToken);
        if (_native.Token == nint.Zero)
        {
            throw new LlamaException($"llama_batch_init could not allocate a batch of {capacity} tokens.");
        }
    }

    ~LlamaBatch() => Free();

    public int Capacity { get; }
    public int MaxSequencesPerToken { get; }
    public int Count { get; private set; }

    internal LlamaBatchNative Native
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var native = _native;
            native.NTokens = Count;
            return native;
        }
    }

    public void Clear()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Count = 0;
        _maxToken = -1;
        _maxSequence = -1;
    }

    /// <summary>Adds a token of one sequence; returns its batch index (the index for logits and sampling).</summary>
    public int Add(int token, int position, int sequenceId, bool computeLogits)
    {
        ReadOnlySpan<int> sequence = [sequenceId];
        return Add(token, position, sequence, computeLogits);
    }

    /// <summary>Adds a token shared by several sequences; returns its batch index.</summary>
    public int Add(int token, int position, ReadOnlySpan<int> sequenceIds, bool computeLogits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count >= Capacity)
        {
            throw new InvalidOperationException($"The batch is full ({Capacity} tokens).");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (sequenceIds.Length < 1 || sequenceIds.Length > MaxSequencesPerToken)
        {
            throw new ArgumentException($"A token needs 1 to {MaxSequencesPerToken} sequence ids, got {sequenceIds.Length}.", nameof(sequenceIds));
        }
        var index = Count;
        unsafe
        {
            ((int*)_native.Token)[index] = token;
            ((int*)_native.Pos)[index] = position;
            ((int*)_native.NSeqId)[index] = sequenceIds.Length;
            var ids = ((int**)_native.SeqId)[index];
            for (var i = 0; i < sequenceIds.Length; i++)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(sequenceIds[i]);
                ids[i] = sequenceIds[i];
                _maxSequence = Math.Max(_maxSequence, sequenceIds[i]);
            }
            ((sbyte*)_native.Logits)[index] = computeLogits ? (sbyte)1 : (sbyte)0;
        }
        _maxToken = Math.Max(_maxToken, token);
        Count++;
        return index;
    }

    /// <summary>Adds consecutive tokens of one sequence from <paramref name="startPosition"/>; logits only for the last when asked. Returns the last index.</summary>
    public int AddSequence(ReadOnlySpan<int> tokens, int startPosition, int sequenceId, bool logitsForLast)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("No tokens to add.", nameof(tokens));
        }
        if (Count + tokens.Length > Capacity)
        {
            throw new InvalidOperationException($"{tokens.Length} tokens do not fit: the batch holds {Count} of {Capacity}.");
        }
        var last = -1;
        for (var i = 0; i < tokens.Length; i++)
        {
            last = Add(tokens[i], startPosition + i, sequenceId, logitsForLast && i == tokens.Length - 1);
        }
        return last;
    }

    /// <summary>Turns logits on or off for an entry already added.</summary>
    public void SetLogits(int index, bool computeLogits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        unsafe
        {
            ((sbyte*)_native.Logits)[index] = computeLogits ? (sbyte)1 : (sbyte)0;
        }
    }

    internal bool[] CopyOutputFlags()
    {
        var flags = new bool[Count];
        unsafe
        {
            for (var i = 0; i < Count; i++)
            {
                flags[i] = ((sbyte*)_native.Logits)[i] != 0;
            }
        }
        return flags;
    }

    /// <summary>Refuses what llama.cpp would reject or misread, with a message that says which entry is wrong.</summary>
    internal void ValidateFor(LlamaContext context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == 0)
        {
            throw new InvalidOperationException("The batch is empty.");
        }
        if (Count > context.BatchSize)
        {
            throw new InvalidOperationException($"The batch holds {Count} tokens; the context accepts at most {context.BatchSize} per decode.");
        }
        if (_maxToken >= context.Model.Vocab.Count)
        {
            throw new ArgumentException($"Token {_maxToken} is outside the vocabulary (0..{context.Model.Vocab.Count - 1}).");
        }
        if (_maxSequence >= context.MaxSequences)
        {
            throw new ArgumentException($"Sequence id {_maxSequence} is outside the context's 0..{context.MaxSequences - 1}.");
        }
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        NativeMethods.llama_batch_free(_native);
    }
}
