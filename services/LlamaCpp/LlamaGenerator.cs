namespace DomainPlatform.LlamaCpp;

public enum LlamaStopReason
{
    /// <summary>The model produced an end-of-generation token (EOS, EOT).</summary>
    EndOfGeneration,
    MaxTokens,
    /// <summary>The sequence reached the context's per-sequence size.</summary>
    ContextFull,
}

public sealed record GenerationResult(int[] PromptTokens, int[] Tokens, string Text, LlamaStopReason StopReason);

/// <summary>
/// Single-sequence generation on one context: prefill in batch-sized chunks, then one token per
/// decode. The inference service's scheduler does the same across many sequences; tests and tools use this.
/// </summary>
public static class LlamaGenerator
{
    public static GenerationResult Generate(LlamaContext context, LlamaSampler sampler, string prompt, int maxTokens,
        int sequenceId = 0, bool stopAtEndOfGeneration = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(prompt);
        var tokens = context.Model.Vocab.Tokenize(prompt, addSpecial: true, parseSpecial: true);
        return Generate(context, sampler, tokens, maxTokens, sequenceId, stopAtEndOfGeneration, cancellationToken);
    }

    public static GenerationResult Generate(LlamaContext context, LlamaSampler sampler, IReadOnlyList<int> promptTokens, int maxTokens,
        int sequenceId = 0, bool stopAtEndOfGeneration = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (promptTokens.Count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(promptTokens));
        }
        if (promptTokens.Count >= context.SequenceContextSize)
        {
            throw new ArgumentException(
                $"The prompt has {promptTokens.Count} tokens; the context holds {context.SequenceContextSize} per sequence.", nameof(promptTokens));
        }

        var vocab = context.Model.Vocab;
        var prompt = promptTokens.ToArray();
        context.RemoveSequence(sequenceId);
        using var batch = new LlamaBatch(context.BatchSize);

        var lastIndex = 0;
        for (var start = 0; start < prompt.Length; start += context.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = prompt.AsSpan(start, Math.Min(context.BatchSize, prompt.Length - start));
            batch.Clear();
            lastIndex = batch.AddSequence(chunk, start, sequenceId, logitsForLast: start + chunk.Length == prompt.Length);
            context.Decode(batch);
        }

        var generated = new List<int>();
        var position = prompt.Length;
        var reason = LlamaStopReason.MaxTokens;
        while (generated.Count < maxTokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = sampler.Sample(context, lastIndex);
            if (stopAtEndOfGeneration && vocab.IsEndOfGeneration(token))
            {
                reason = LlamaStopReason.EndOfGeneration;
                break;
            }
            generated.Add(token);
            if (generated.Count == maxTokens)
            {
                break;
            }
            if (position >= context.SequenceContextSize)
            {
                reason = LlamaStopReason.ContextFull;
                break;
            }
            batch.Clear();
            lastIndex = batch.Add(token, position++, sequenceId, computeLogits: true);
            context.Decode(batch);
        }

        var text = vocab.Detokenize(generated.ToArray());
        return new GenerationResult(prompt, [.. generated], text, reason);
    }
}
