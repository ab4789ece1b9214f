using System.Runtime.InteropServices;
using DomainPlatform.LlamaCpp.Interop;

namespace DomainPlatform.LlamaCpp;

/// <summary>
/// Sampling settings in OpenAI terms. Temperature 0 (or below) means greedy. The chain is applied
/// in llama.cpp's usual order: penalties, top-k, top-p, min-p, temperature, then a seeded draw.
/// </summary>
public sealed record SamplingOptions
{
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    public float Temperature { get; init; } = 0.8f;
    /// <summary>0 disables top-k.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>1 disables top-p.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>0 disables min-p.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>1 disables the repetition penalty.</summary>
    public float RepeatPenalty { get; init; } = 1f;
    public float FrequencyPenalty { get; init; }
    public float PresencePenalty { get; init; }
    /// <summary>How many recent tokens the penalties look at.</summary>
    public int PenaltyLastN { get; init; } = 64;
    /// <summary>Seed of the final draw; null picks a random one.</summary>
    public uint? Seed { get; init; }

    public bool IsGreedy => Temperature <= 0f;

    public bool HasPenalties => RepeatPenalty != 1f || FrequencyPenalty != 0f || PresencePenalty != 0f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range setting.</summary>
    public void Validate()
    {
        Check(float.IsFinite(Temperature) && Temperature <= 100f, $"Temperature must be finite and at most 100, was {Temperature}.");
        Check(TopK >= 0, $"TopK must be >= 0, was {TopK}.");
        Check(TopP is > 0f and <= 1f, $"TopP must be in (0, 1], was {TopP}.");
        Check(MinP is >= 0f and <= 1f, $"MinP must be in [0, 1], was {MinP}.");
        Check(float.IsFinite(RepeatPenalty) && RepeatPenalty > 0f, $"RepeatPenalty must be > 0, was {RepeatPenalty}.");
        Check(float.IsFinite(FrequencyPenalty) && Math.Abs(FrequencyPenalty) <= 2f, $"FrequencyPenalty must be in [-2, 2], was {FrequencyPenalty}.");
        Check(float.IsFinite(PresencePenalty) && Math.Abs(PresencePenalty) <= 2f, $"PresencePenalty must be in [-2, 2], was {PresencePenalty}.");
        Check(PenaltyLastN >= -1, $"PenaltyLastN must be >= -1, was {PenaltyLastN}.");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

/// <summary>Builds a llama.cpp sampler chain stage by stage.</summary>
public sealed class LlamaSamplerBuilder
{
    private readonly List<(string Name, Func<nint> Create)> _stages = [];

    public LlamaSamplerBuilder AddGreedy() => Stage("greedy", NativeMethods.llama_sampler_init_greedy);

    /// <summary>Draws from the distribution with a seeded generator (the last stage of a non-greedy chain).</summary>
    public LlamaSamplerBuilder AddDistribution(uint seed) => Stage("dist", () => NativeMethods.llama_sampler_init_dist(seed));

    public LlamaSamplerBuilder AddTemperature(float temperature) => Stage("temp", () => NativeMethods.llama_sampler_init_temp(temperature));

    public LlamaSamplerBuilder AddTopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return Stage("top-k", () => NativeMethods.llama_sampler_init_top_k(k));
    }

    public LlamaSamplerBuilder AddTopP(float p, int minKeep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1f);
        ArgumentOutOfRangeException.ThrowIfLessThan(minKeep, 1);
        return Stage("top-p", () => NativeMethods.llama_sampler_init_top_p(p, (nuint)minKeep));
    }

    public LlamaSamplerBuilder AddMinP(float p, int minKeep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1f);
        ArgumentOutOfRangeException.ThrowIfLessThan(minKeep, 1);
        return Stage("min-p", () => NativeMethods.llama_sampler_init_min_p(p, (nuint)minKeep));
    }

    /// <summary>Repetition (multiplicative), frequency and presence (additive) penalties over the last <paramref name="lastN"/> accepted tokens.</summary>
    public LlamaSamplerBuilder AddPenalties(int vocabularySize, int lastN, float repeat, float frequency, float presence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(lastN, -1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeat);
        return Stage("penalties", () => NativeMethods.llama_sampler_init_penalties(vocabularySize, lastN, repeat, frequency, presence));
    }

    /// <summary>Adds fixed biases to chosen tokens' logits (negative infinity bans a token).</summary>
    public LlamaSamplerBuilder AddLogitBias(int vocabularySize, IReadOnlyDictionary<int, float> biases)
    {
        ArgumentNullException.ThrowIfNull(biases);
        var entries = biases.Select(pair =>
        {
            if (pair.Key < 0 || pair.Key >= vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(biases), pair.Key, $"Token ids run from 0 to {vocabularySize - 1}.");
            }
            return new LlamaLogitBias { Token = pair.Key, Bias = pair.Value };
        }).ToArray();
        return Stage("logit-bias", () =>
        {
            unsafe
            {
                fixed (LlamaLogitBias* pointer = entries)
                {
                    return NativeMethods.llama_sampler_init_logit_bias(vocabularySize, entries.Length, pointer);
                }
            }
        });
    }

    public LlamaSampler Build()
    {
        if (_stages.Count == 0)
        {
            throw new InvalidOperationException("A sampler chain needs at least one stage.");
        }
        _ = LlamaRuntime.Info;
        var parameters = NativeMethods.llama_sampler_chain_default_params();
        var chain = NativeMethods.llama_sampler_chain_init(parameters);
        if (chain.IsInvalid)
        {
            chain.Dispose();
            throw new LlamaException("llama_sampler_chain_init failed.");
        }
        try
        {
            foreach (var (name, create) in _stages)
            {
                var stage = create();
                if (stage == nint.Zero)
                {
                    throw new LlamaException($"llama.cpp could not create the '{name}' sampler.");
                }
                // The chain owns the stage from here and frees it with itself.
                NativeMethods.llama_sampler_chain_add(chain, stage);
            }
        }
        catch
        {
            chain.Dispose();
            throw;
        }
        return new LlamaSampler(chain);
    }

    private LlamaSamplerBuilder Stage(string name, Func<nint> create)
    {
        _stages.Add((name, create));
        return this;
    }
}

/// <summary>A llama.cpp sampler chain with its own state (penalty history, RNG). One per sequence.</summary>
public sealed class LlamaSampler : IDisposable
{
    private readonly SafeLlamaSamplerHandle _handle;

    internal LlamaSampler(SafeLlamaSamplerHandle handle) => _handle = handle;

    /// <summary>The chain for <paramref name="options"/>: greedy when temperature is 0, else penalties, top-k, top-p, min-p, temperature and a seeded draw.</summary>
    public static LlamaSampler Create(SamplingOptions options, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        options.Validate();
        var builder = new LlamaSamplerBuilder();
        if (options.HasPenalties)
        {
            builder.AddPenalties(vocabularySize, options.PenaltyLastN, options.RepeatPenalty, options.FrequencyPenalty, options.PresencePenalty);
        }
        if (options.IsGreedy)
        {
            return builder.AddGreedy().Build();
        }
        if (options.TopK > 0)
        {
            builder.AddTopK(options.TopK);
        }
        if (options.TopP < 1f)
        {
            builder.AddTopP(options.TopP);
        }
        if (options.MinP > 0f)
        {
            builder.AddMinP(options.MinP);
        }
        return builder.AddTemperature(options.Temperature)
            .AddDistribution(options.Seed ?? (uint)Random.Shared.NextInt64(0, uint.MaxValue))
            .Build();
    }

    /// <summary>The stage names in order, as llama.cpp reports them.</summary>
    public IReadOnlyList<string> Stages
    {
        get
        {
            using var lease = new HandleLease(_handle);
            var count = NativeMethods.llama_sampler_chain_n(_handle);
            var names = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                names.Add(Marshal.PtrToStringUTF8(NativeMethods.llama_sampler_name(NativeMethods.llama_sampler_chain_get(_handle, i))) ?? "");
            }
            return names;
        }
    }

    /// <summary>Samples from the logits of a batch index of the context's last decode, and accepts the token into the chain's state.</summary>
    public int Sample(LlamaContext context, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.HasLogits(batchIndex))
        {
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, "The last decoded batch did not request logits at this index.");
        }
        using var lease = new HandleLease(_handle);
        using var contextLease = new HandleLease(context.Handle);
        return NativeMethods.llama_sampler_sample(_handle, context.Handle, batchIndex);
    }

    /// <summary>Records a token chosen elsewhere (e.g. the prompt) so penalties see it.</summary>
    public void Accept(int token)
    {
        using var lease = new HandleLease(_handle);
        NativeMethods.llama_sampler_accept(_handle, token);
    }

    public void Reset()
    {
        using var lease = new HandleLease(_handle);
        NativeMethods.llama_sampler_reset(_handle);
    }

    public void Dispose() => _handle.Dispose();
}
