namespace DomainPlatform.LlamaCpp;

/// <summary>
/// Pooled, L2-normalised embeddings on an embedding context (<see cref="LlamaContextOptions.Embeddings"/>): the inputs of
/// one call go into ONE batch, each as its own sequence, so llama.cpp pools each within a single micro-batch. The
/// inference service's scheduler packs queued inputs into such calls; tests and tools call it directly.
/// </summary>
public static class LlamaEmbedder
{
    /// <summary>Creates an embedding context that pools with the model's declared pooling, or mean pooling when it declares none.</summary>
    public static LlamaContext CreateContext(LlamaModel model, int maxTokens, int maxSequences, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        return model.CreateContext(new LlamaContextOptions
        {
            Embeddings = true,
            Pooling = PoolingFor(model),
            // One decode holds every token of its inputs: the cache is cleared before each, so it needs no more cells.
            ContextSize = maxTokens,
            BatchSize = maxTokens,
            MicroBatchSize = maxTokens,
            MaxSequences = maxSequences,
            UnifiedKvCache = true,
            Threads = threads,
        });
    }

    /// <summary>The model's own pooling when its GGUF sets a usable one (mean, CLS, last), else mean.</summary>
    public static LlamaPoolingType PoolingFor(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.DeclaredPooling is LlamaPoolingType.Mean or LlamaPoolingType.Cls or LlamaPoolingType.Last
            ? model.DeclaredPooling
            : LlamaPoolingType.Mean;
    }

    /// <summary>Embeds each input (its tokens) in one decode; the vectors are unit length, in the order of the inputs.</summary>
    public static float[][] Embed(LlamaContext context, LlamaBatch batch, IReadOnlyList<int[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!context.Embeddings)
        {
            throw new InvalidOperationException("The context was not created for embeddings (LlamaContextOptions.Embeddings).");
        }
        if (inputs.Count == 0 || inputs.Count > context.MaxSequences)
        {
            throw new ArgumentException($"One call embeds 1 to {context.MaxSequences} inputs, got {inputs.Count}.", nameof(inputs));
        }
        var total = 0;
        foreach (var input in inputs)
        {
            if (input is null || input.Length == 0)
            {
                throw new ArgumentException("An input has no tokens.", nameof(inputs));
            }
            total += input.Length;
        }
        var limit = Math.Min(Math.Min(context.MicroBatchSize, context.ContextSize), batch.Capacity);
        if (total > limit)
        {
            throw new ArgumentException($"The inputs hold {total} tokens; one embedding decode takes at most {limit}.", nameof(inputs));
        }

        // Embeddings keep no state between calls: stale cells would be attended to by the next inputs.
        context.ClearMemory(clearData: false);
        batch.Clear();
        for (var sequence = 0; sequence < inputs.Count; sequence++)
        {
            var tokens = inputs[sequence];
            for (var i = 0; i < tokens.Length; i++)
            {
                // Every token is an output of an embedding decode; llama.cpp warns when one is not marked.
                batch.Add(tokens[i], i, sequence, computeLogits: true);
            }
        }
        context.Decode(batch);
        var vectors = new float[inputs.Count][];
        for (var sequence = 0; sequence < inputs.Count; sequence++)
        {
            var vector = new float[context.Model.EmbeddingOutputSize];
            context.CopySequenceEmbedding(sequence, vector);
            Normalize(vector);
            vectors[sequence] = vector;
        }
        return vectors;
    }

    /// <summary>Scales the vector to unit Euclidean length (as OpenAI's embeddings are); a zero vector stays zero.</summary>
    public static void Normalize(Span<float> vector)
    {
        double sum = 0;
        foreach (var value in vector)
        {
            sum += (double)value * value;
        }
        if (sum <= 0 || !double.IsFinite(sum))
        {
            return;
        }
        var scale = (float)(1.0 / Math.Sqrt(sum));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }
    }
}
