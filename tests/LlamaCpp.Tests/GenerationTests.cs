namespace DomainPlatform.LlamaCpp.Tests;

public sealed class GenerationTests(TinyModelFixture fixture)
{
    private static readonly string[] Prompts =
    [
        "hello world",
        "The model",
        "what is the domain of this table",
        "customer order value",
        "train the model with data",
        "x",
        "How can we answer the question? Let us see",
        "assistant: system user",
    ];

    private LlamaContext NewContext(int maxSequences = 1, int contextSize = 512, bool unified = false) =>
        fixture.Model.CreateContext(new LlamaContextOptions
        {
            ContextSize = contextSize, MaxSequences = maxSequences, Threads = 1, UnifiedKvCache = unified,
        });

    private int[] GreedyAlone(string prompt, int maxTokens)
    {
        using var context = NewContext();
        using var sampler = LlamaSampler.Create(SamplingOptions.Greedy, fixture.Model.Vocab.Count);
        return LlamaGenerator.Generate(context, sampler, prompt, maxTokens, stopAtEndOfGeneration: false, cancellationToken: TestContext.Current.CancellationToken).Tokens;
    }

    [Fact]
    public void Greedy_generation_is_reproducible_across_contexts()
    {
        var first = GreedyAlone("hello world", 40);
        var second = GreedyAlone("hello world", 40);
        Assert.Equal(40, first.Length);
        Assert.Equal(first, second);
        Assert.NotEqual(first, GreedyAlone("The model", 40));
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        int[] Run(uint seed)
        {
            using var context = NewContext();
            using var sampler = LlamaSampler.Create(new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1f, MinP = 0f, Seed = seed }, fixture.Model.Vocab.Count);
            return LlamaGenerator.Generate(context, sampler, "hello", 48, stopAtEndOfGeneration: false, cancellationToken: TestContext.Current.CancellationToken).Tokens;
        }

        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }

    [Fact]
    public void Generation_stops_at_max_tokens_or_end_of_generation()
    {
        using var context = NewContext();
        using var sampler = LlamaSampler.Create(SamplingOptions.Greedy, fixture.Model.Vocab.Count);
        var result = LlamaGenerator.Generate(context, sampler, "hello", 5, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.StopReason is LlamaStopReason.MaxTokens or LlamaStopReason.EndOfGeneration);
        Assert.True(result.Tokens.Length <= 5);
        Assert.DoesNotContain(result.Tokens, fixture.Model.Vocab.IsEndOfGeneration);
        Assert.Equal(fixture.Model.Vocab.Detokenize(result.Tokens), result.Text);
    }

    [Fact]
    public void Banning_the_greedy_choice_changes_the_next_token()
    {
        using var context = NewContext();
        var vocab = fixture.Model.Vocab.Count;
        using var greedy = LlamaSampler.Create(SamplingOptions.Greedy, vocab);
        var first = LlamaGenerator.Generate(context, greedy, "hello world", 1, stopAtEndOfGeneration: false, cancellationToken: TestContext.Current.CancellationToken).Tokens[0];

        using var banned = new LlamaSamplerBuilder()
            .AddLogitBias(vocab, new Dictionary<int, float> { [first] = float.NegativeInfinity })
            .AddGreedy()
            .Build();
        var second = LlamaGenerator.Generate(context, banned, "hello world", 1, stopAtEndOfGeneration: false, cancellationToken: TestContext.Current.CancellationToken).Tokens[0];
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Sampler_chain_has_the_stages_the_options_ask_for()
    {
        var vocab = fixture.Model.Vocab.Count;
        using var full = LlamaSampler.Create(new SamplingOptions
        {
            Temperature = 0.7f, TopK = 20, TopP = 0.9f, MinP = 0.1f, RepeatPenalty = 1.1f, FrequencyPenalty = 0.2f, PresencePenalty = 0.3f, Seed = 5,
        }, vocab);
        Assert.Equal(["penalties", "top-k", "top-p", "min-p", "temp", "dist"], full.Stages);

        using var greedy = LlamaSampler.Create(SamplingOptions.Greedy, vocab);
        Assert.Equal(["greedy"], greedy.Stages);

        Assert.Throws<ArgumentException>(() => LlamaSampler.Create(new SamplingOptions { TopP = 0f }, vocab));
        Assert.Throws<ArgumentException>(() => LlamaSampler.Create(new SamplingOptions { Temperature = float.NaN }, vocab));
        Assert.Throws<InvalidOperationException>(() => new LlamaSamplerBuilder().Build());
    }

    [Fact]
    public void Repetition_penalty_reduces_repeats()
    {
        int CountRepeats(SamplingOptions options)
        {
            using var context = NewContext();
            using var sampler = LlamaSampler.Create(options, fixture.Model.Vocab.Count);
            var tokens = LlamaGenerator.Generate(context, sampler, "hello world", 60, stopAtEndOfGeneration: false, cancellationToken: TestContext.Current.CancellationToken).Tokens;
            return tokens.Length - tokens.Distinct().Count();
        }

        var plain = CountRepeats(SamplingOptions.Greedy);
        var penalised = CountRepeats(SamplingOptions.Greedy with { RepeatPenalty = 5f, PresencePenalty = 2f, PenaltyLastN = 64 });
        Assert.True(penalised < plain, $"repeats with penalties {penalised}, without {plain}");
    }

    /// <summary>
    /// Eight sequences share every decode: their prompts go in as one multi-sequence batch, then each
    /// step decodes one token per sequence. Each must produce exactly the greedy tokens it produces alone
    /// in a single-sequence context, with one KV stream per sequence and with a unified KV buffer.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Eight_sequences_in_one_batch_match_each_sequence_alone(bool unifiedKvCache)
    {
        const int steps = 24;
        var expected = Prompts.Select(prompt => GreedyAlone(prompt, steps)).ToArray();

        var vocab = fixture.Model.Vocab;
        using var context = NewContext(maxSequences: Prompts.Length, contextSize: Prompts.Length * 256, unified: unifiedKvCache);
        var samplers = Prompts.Select(_ => LlamaSampler.Create(SamplingOptions.Greedy, vocab.Count)).ToArray();
        try
        {
            var prompts = Prompts.Select(prompt => vocab.Tokenize(prompt, addSpecial: true, parseSpecial: true)).ToArray();
            using var batch = new LlamaBatch(prompts.Sum(p => p.Length));
            var lastIndex = new int[Prompts.Length];
            for (var s = 0; s < Prompts.Length; s++)
            {
                lastIndex[s] = batch.AddSequence(prompts[s], 0, s, logitsForLast: true);
            }
            context.Decode(batch);

            var generated = Prompts.Select(_ => new List<int>()).ToArray();
            for (var step = 0; step < steps; step++)
            {
                var next = new int[Prompts.Length];
                for (var s = 0; s < Prompts.Length; s++)
                {
                    next[s] = samplers[s].Sample(context, lastIndex[s]);
                    generated[s].Add(next[s]);
                }
                batch.Clear();
                for (var s = 0; s < Prompts.Length; s++)
                {
                    lastIndex[s] = batch.Add(next[s], prompts[s].Length + step, s, computeLogits: true);
                }
                context.Decode(batch);
            }

            for (var s = 0; s < Prompts.Length; s++)
            {
                Assert.Equal(expected[s], generated[s]);
                Assert.Equal(prompts[s].Length + steps, context.GetSequenceMaxPosition(s) + 1);
            }
        }
        finally
        {
            foreach (var sampler in samplers)
            {
                sampler.Dispose();
            }
        }
    }

    [Fact]
    public void Kv_sequence_operations_copy_trim_and_free_cells()
    {
        var vocab = fixture.Model.Vocab;
        // One KV stream shared by both sequences, as prefix sharing needs (a per-sequence cache keeps streams apart).
        using var context = NewContext(maxSequences: 2, contextSize: 512, unified: true);
        context.ClearMemory();
        var prompt = vocab.Tokenize("the data model of the domain", addSpecial: true);
        using var batch = new LlamaBatch(64);
        var last = batch.AddSequence(prompt, 0, 0, logitsForLast: true);
        context.Decode(batch);
        var reference = context.GetLogits(last);
        Assert.Equal(prompt.Length - 1, context.GetSequenceMaxPosition(0));
        Assert.Equal(0, context.GetSequenceMinPosition(0));
        Assert.Equal(-1, context.GetSequenceMaxPosition(1));

        // A shared prefix: sequence 1 sees the same cells without decoding them again.
        context.CopySequence(0, 1);
        Assert.Equal(prompt.Length - 1, context.GetSequenceMaxPosition(1));

        // Dropping the last cell of sequence 1 and decoding that token again reproduces the logits.
        Assert.True(context.RemoveTokens(1, prompt.Length - 1, -1));
        Assert.Equal(prompt.Length - 2, context.GetSequenceMaxPosition(1));
        batch.Clear();
        var again = batch.Add(prompt[^1], prompt.Length - 1, 1, computeLogits: true);
        context.Decode(batch);
        var replayed = context.GetLogits(again);
        Assert.Equal(Argmax(reference), Argmax(replayed));
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], replayed[i], 1e-3f);
        }

        context.KeepSequence(1);
        Assert.Equal(-1, context.GetSequenceMaxPosition(0));
        context.RemoveSequence(1);
        Assert.Equal(-1, context.GetSequenceMaxPosition(1));
    }

    [Fact]
    public void Bad_batches_and_indexes_are_refused_with_clear_errors()
    {
        var vocab = fixture.Model.Vocab;
        using var context = NewContext(maxSequences: 2);
        using var batch = new LlamaBatch(4);

        Assert.Throws<InvalidOperationException>(() => context.Decode(batch));
        batch.Add(vocab.Count + 10, 0, 0, computeLogits: true);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => context.Decode(batch)).Message);

        batch.Clear();
        batch.Add(5, 0, 3, computeLogits: true);
        Assert.Contains("Sequence id 3", Assert.Throws<ArgumentException>(() => context.Decode(batch)).Message);

        batch.Clear();
        batch.Add(10, 0, 0, computeLogits: false);
        batch.Add(11, 1, 0, computeLogits: true);
        context.Decode(batch);
        using var sampler = LlamaSampler.Create(SamplingOptions.Greedy, vocab.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(context, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.GetLogits(7));
        Assert.InRange(sampler.Sample(context, 1), 0, vocab.Count - 1);

        batch.Add(12, 2, 0, computeLogits: false);
        batch.Add(13, 3, 0, computeLogits: false);
        Assert.Throws<InvalidOperationException>(() => batch.Add(14, 4, 0, computeLogits: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.RemoveTokens(5));
        Assert.Throws<ArgumentException>(() => fixture.Model.CreateContext(new LlamaContextOptions { MicroBatchSize = 1024, BatchSize = 512 }));
    }

    [Fact]
    public void Positions_that_skip_ahead_are_refused_by_llama_cpp_without_crashing()
    {
        using var context = NewContext();
        using var batch = new LlamaBatch(4);
        batch.Add(10, 0, 0, computeLogits: false);
        context.Decode(batch);
        batch.Clear();
        batch.Add(11, 50, 0, computeLogits: true);
        var exception = Assert.Throws<LlamaDecodeException>(() => context.Decode(batch));
        Assert.Equal(LlamaDecodeStatus.InvalidBatch, exception.Status);
    }

    [Fact]
    public void Cuda_loads_every_layer_on_the_gpu_and_generates()
    {
        if (!LlamaRuntime.Info.HasGpu)
        {
            Assert.Skip("no CUDA device");
        }
        using var model = LlamaModel.Load(fixture.ModelPath, new LlamaModelOptions { GpuLayers = -1 });
        Assert.Equal(model.LayerCount + 1, model.GpuLayersPlaced);
        using var context = model.CreateContext(new LlamaContextOptions { ContextSize = 512 });
        using var sampler = LlamaSampler.Create(SamplingOptions.Greedy, model.Vocab.Count);
        var result = LlamaGenerator.Generate(context, sampler, "hello world", 16, stopAtEndOfGeneration: false, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(16, result.Tokens.Length);
    }

    private static int Argmax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
