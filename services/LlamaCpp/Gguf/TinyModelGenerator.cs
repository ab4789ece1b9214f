using System.Buffers.Binary;

namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>Shape and format of a generated llama-architecture model.</summary>
public sealed record TinyModelOptions
{
    public int Layers { get; init; } = 2;
    public int EmbeddingSize { get; init; } = 64;
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads for grouped-query attention; null means as many as <see cref="Heads"/>.</summary>
    public int? KvHeads { get; init; }
    /// <summary>Feed-forward width; null means 4 x <see cref="EmbeddingSize"/>.</summary>
    public int? FeedForwardSize { get; init; }
    public int ContextLength { get; init; } = 512;
    /// <summary>F32 or F16 for the 2-D weight matrices; norms stay F32 as llama.cpp's converters write them.</summary>
    public GgmlType TensorType { get; init; } = GgmlType.F32;
    public ulong Seed { get; init; } = 1;
    public string Name { get; init; } = "tiny-llama";
    /// <summary>Write the ChatML template into tokenizer.chat_template (off to test the fallback).</summary>
    public bool IncludeChatTemplate { get; init; } = true;
    /// <summary>Standard deviation of the random weights.</summary>
    public float WeightScale { get; init; } = 0.08f;

    public int EffectiveKvHeads => KvHeads ?? Heads;
    public int EffectiveFeedForwardSize => FeedForwardSize ?? 4 * EmbeddingSize;
    public int HeadSize => EmbeddingSize / Heads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        Require(Layers is >= 1 and <= 512, $"Layers must be 1..512, was {Layers}.");
        Require(EmbeddingSize is >= 8 and <= 65536, $"EmbeddingSize must be 8..65536, was {EmbeddingSize}.");
        Require(Heads >= 1 && EmbeddingSize % Heads == 0, $"EmbeddingSize {EmbeddingSize} must be a multiple of Heads {Heads}.");
        Require(HeadSize % 2 == 0, $"Head size {HeadSize} (EmbeddingSize / Heads) must be even for RoPE.");
        Require(EffectiveKvHeads >= 1 && Heads % EffectiveKvHeads == 0, $"Heads {Heads} must be a multiple of KvHeads {EffectiveKvHeads}.");
        Require(EffectiveFeedForwardSize is >= 1 and <= 262144, $"FeedForwardSize must be 1..262144, was {EffectiveFeedForwardSize}.");
        Require(ContextLength is >= 8 and <= 1 << 20, $"ContextLength must be 8..1048576, was {ContextLength}.");
        Require(TensorType is GgmlType.F32 or GgmlType.F16, $"TensorType must be F32 or F16, was {TensorType}.");
        Require(WeightScale is > 0 and < 10, $"WeightScale must be in (0, 10), was {WeightScale}.");
        Require(!string.IsNullOrWhiteSpace(Name), "Name must not be empty.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

/// <summary>A model ready to be written, with its figures.</summary>
public sealed record TinyModelPlan(GgufWriter Writer, ulong ParameterCount, int VocabularySize, int TensorCount);

/// <summary>What <see cref="TinyModelGenerator.Write"/> produced.</summary>
public sealed record TinyModelSummary(string Path, long FileBytes, ulong ParameterCount, int VocabularySize, int TensorCount);

/// <summary>
/// Writes a llama-architecture GGUF with seeded random weights, an SPM ("llama") vocabulary with
/// byte fallback, and a ChatML chat template, small enough for tests and demos.
/// </summary>
public static class TinyModelGenerator
{
    public const string ChatTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public static TinyModelSummary Write(string path, TinyModelOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        var plan = Plan(options);
        plan.Writer.WriteTo(path);
        return new TinyModelSummary(path, new FileInfo(path).Length, plan.ParameterCount, plan.VocabularySize, plan.TensorCount);
    }

    /// <summary>Builds the writer without touching the disk (tests write it to memory).</summary>
    public static TinyModelPlan Plan(TinyModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var vocabulary = TinyVocabulary.Build();
        var vocabularySize = vocabulary.Tokens.Length;

        var writer = new GgufWriter();
        writer.Add("general.architecture", "llama")
            .Add("general.name", options.Name)
            .Add("general.file_type", options.TensorType == GgmlType.F16 ? 1u : 0u)
            .Add("llama.vocab_size", (uint)vocabularySize)
            .Add("llama.context_length", (uint)options.ContextLength)
            .Add("llama.embedding_length", (uint)options.EmbeddingSize)
            .Add("llama.block_count", (uint)options.Layers)
            .Add("llama.feed_forward_length", (uint)options.EffectiveFeedForwardSize)
            .Add("llama.attention.head_count", (uint)options.Heads)
            .Add("llama.attention.head_count_kv", (uint)options.EffectiveKvHeads)
            .Add("llama.rope.dimension_count", (uint)options.HeadSize)
            .Add("llama.rope.freq_base", 10000f)
            .Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.pre", "default")
            .Add("tokenizer.ggml.tokens", vocabulary.Tokens)
            .Add("tokenizer.ggml.scores", vocabulary.Scores)
            .Add("tokenizer.ggml.token_type", vocabulary.Types)
            .Add("tokenizer.ggml.unknown_token_id", (uint)TinyVocabulary.Unknown)
            .Add("tokenizer.ggml.bos_token_id", (uint)TinyVocabulary.Bos)
            .Add("tokenizer.ggml.eos_token_id", (uint)TinyVocabulary.Eos)
            .Add("tokenizer.ggml.eot_token_id", (uint)TinyVocabulary.ImEnd)
            .Add("tokenizer.ggml.add_bos_token", true)
            .Add("tokenizer.ggml.add_eos_token", false)
            .Add("tokenizer.ggml.add_space_prefix", false);
        if (options.IncludeChatTemplate)
        {
            writer.Add("tokenizer.chat_template", ChatTemplate);
        }

        var random = new SplitMix64(options.Seed);
        var embd = (ulong)options.EmbeddingSize;
        var vocab = (ulong)vocabularySize;
        var qSize = (ulong)(options.HeadSize * options.Heads);
        var kvSize = (ulong)(options.HeadSize * options.EffectiveKvHeads);
        var ff = (ulong)options.EffectiveFeedForwardSize;
        ulong parameterCount = 0;
        var tensorCount = 0;

        void Matrix(string name, ulong columns, ulong rows)
        {
            // Each tensor gets its own stream seeded from the master one, so tensor order does not change values.
            var seed = random.Next();
            writer.AddTensor(name, options.TensorType, [columns, rows],
                stream => WriteRandom(stream, columns * rows, options.TensorType, options.WeightScale, seed));
            parameterCount += columns * rows;
            tensorCount++;
        }

        void Norm(string name)
        {
            writer.AddTensor(name, GgmlType.F32, [embd], stream => WriteConstant(stream, embd, 1f));
            parameterCount += embd;
            tensorCount++;
        }

        Matrix("token_embd.weight", embd, vocab);
        Norm("output_norm.weight");
        Matrix("output.weight", embd, vocab);
        for (var layer = 0; layer < options.Layers; layer++)
        {
            var prefix = $"blk.{layer}.";
            Norm(prefix + "attn_norm.weight");
            Matrix(prefix + "attn_q.weight", embd, qSize);
            Matrix(prefix + "attn_k.weight", embd, kvSize);
            Matrix(prefix + "attn_v.weight", embd, kvSize);
            Matrix(prefix + "attn_output.weight", qSize, embd);
            Norm(prefix + "ffn_norm.weight");
            Matrix(prefix + "ffn_gate.weight", embd, ff);
            Matrix(prefix + "ffn_down.weight", ff, embd);
            Matrix(prefix + "ffn_up.weight", embd, ff);
        }
        return new TinyModelPlan(writer, parameterCount, vocabularySize, tensorCount);
    }

    private static void WriteRandom(Stream stream, ulong count, GgmlType type, float scale, ulong seed)
    {
        var random = new SplitMix64(seed);
        var elementBytes = type == GgmlType.F16 ? 2 : 4;
        var buffer = new byte[64 * 1024 * elementBytes];
        // Uniform on [-a, a] has standard deviation a / sqrt(3).
        var amplitude = scale * MathF.Sqrt(3f);
        while (count > 0)
        {
            var chunk = (int)Math.Min(count, (ulong)(buffer.Length / elementBytes));
            for (var i = 0; i < chunk; i++)
            {
                var value = (float)((random.NextDouble() * 2.0 - 1.0) * amplitude);
                if (type == GgmlType.F16)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(buffer.AsSpan(i * 2), (Half)value);
                }
                else
                {
                    BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), value);
                }
            }
            stream.Write(buffer, 0, chunk * elementBytes);
            count -= (ulong)chunk;
        }
    }

    private static void WriteConstant(Stream stream, ulong count, float value)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        for (ulong i = 0; i < count; i++)
        {
            stream.Write(buffer);
        }
    }

    /// <summary>SplitMix64: tiny, fast and identical on every platform and .NET version.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
