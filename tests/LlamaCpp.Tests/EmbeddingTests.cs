namespace DomainPlatform.LlamaCpp.Tests;

public sealed class EmbeddingTests(TinyModelFixture fixture)
{
    private float[][] Embed(params string[] texts)
    {
        using var context = LlamaEmbedder.CreateContext(fixture.Model, maxTokens: 256, maxSequences: 8, threads: 1);
        using var batch = new LlamaBatch(context.BatchSize);
        var inputs = texts.Select(t => fixture.Model.Vocab.Tokenize(t, addSpecial: true, parseSpecial: false)).ToList();
        return LlamaEmbedder.Embed(context, batch, inputs);
    }

    private static double Norm(float[] vector) => Math.Sqrt(vector.Sum(v => (double)v * v));

    [Fact]
    public void An_embedding_has_the_models_width_is_finite_and_has_unit_length()
    {
        var vector = Embed("customer order value")[0];
        Assert.Equal(TinyModelFixture.Options.EmbeddingSize, vector.Length);
        Assert.Equal(fixture.Model.EmbeddingOutputSize, vector.Length);
        Assert.All(vector, v => Assert.True(float.IsFinite(v), $"{v} is not finite"));
        Assert.Equal(1.0, Norm(vector), 4);
    }

    [Fact]
    public void The_same_text_gives_the_same_vector_and_different_texts_different_ones()
    {
        var first = Embed("hello world")[0];
        var again = Embed("hello world")[0];
        Assert.Equal(first, again);
        var other = Embed("train the model with data")[0];
        Assert.True(first.Zip(other).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "two different texts gave the same vector");
    }

    [Fact]
    public void Inputs_batched_together_get_the_vectors_they_get_alone()
    {
        string[] texts = ["hello world", "x", "what is the domain of this table", "hello world"];
        var together = Embed(texts);
        Assert.Equal(texts.Length, together.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            var alone = Embed(texts[i])[0];
            Assert.True(alone.Zip(together[i]).All(p => Math.Abs(p.First - p.Second) < 1e-4), $"'{texts[i]}' differs when batched");
        }
    }

    [Fact]
    public void A_generative_model_without_declared_pooling_is_mean_pooled()
    {
        Assert.Equal(LlamaPoolingType.Unspecified, fixture.Model.DeclaredPooling);
        using var context = LlamaEmbedder.CreateContext(fixture.Model, maxTokens: 64, maxSequences: 1, threads: 1);
        Assert.True(context.Embeddings);
        Assert.Equal(LlamaPoolingType.Mean, context.Pooling);
    }

    [Fact]
    public void Inputs_beyond_one_decode_and_generation_contexts_are_refused_with_the_reason()
    {
        using var context = LlamaEmbedder.CreateContext(fixture.Model, maxTokens: 64, maxSequences: 2, threads: 1);
        using var batch = new LlamaBatch(context.BatchSize);
        var tooLong = Enumerable.Repeat(5, 65).ToArray();
        var error = Assert.Throws<ArgumentException>(() => LlamaEmbedder.Embed(context, batch, [tooLong]));
        Assert.Contains("at most 64", error.Message);
        Assert.Throws<ArgumentException>(() => LlamaEmbedder.Embed(context, batch, [[1], [2], [3]]));

        using var generation = fixture.Model.CreateContext(new LlamaContextOptions { ContextSize = 64, Threads = 1 });
        Assert.Throws<InvalidOperationException>(() => LlamaEmbedder.Embed(generation, batch, [[1, 2]]));
        Assert.Throws<ArgumentException>(() => fixture.Model.CreateContext(new LlamaContextOptions { Pooling = LlamaPoolingType.Mean }));
    }

    [Fact]
    public void Cuda_embeddings_match_the_cpus()
    {
        if (!LlamaRuntime.Info.HasGpu)
        {
            Assert.Skip("no CUDA device");
        }
        using var model = LlamaModel.Load(fixture.ModelPath, new LlamaModelOptions { GpuLayers = -1 });
        Assert.Equal(model.LayerCount + 1, model.GpuLayersPlaced);
        using var context = LlamaEmbedder.CreateContext(model, maxTokens: 256, maxSequences: 8);
        using var batch = new LlamaBatch(context.BatchSize);
        string[] texts = ["hello world", "what is the domain of this table"];
        var gpu = LlamaEmbedder.Embed(context, batch, texts.Select(t => model.Vocab.Tokenize(t, addSpecial: true, parseSpecial: false)).ToList());
        var cpu = Embed(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(1.0, Norm(gpu[i]), 4);
            // F32 weights: the GPU's kernels differ from the CPU's only in rounding.
            Assert.True(gpu[i].Zip(cpu[i]).All(p => Math.Abs(p.First - p.Second) < 1e-3), $"'{texts[i]}' differs on the GPU");
        }
    }

    [Fact]
    public void Normalize_gives_unit_length_and_leaves_a_zero_vector_alone()
    {
        float[] vector = [3, 4];
        LlamaEmbedder.Normalize(vector);
        Assert.Equal([0.6f, 0.8f], vector);
        float[] zero = [0, 0, 0];
        LlamaEmbedder.Normalize(zero);
        Assert.Equal([0f, 0f, 0f], zero);
    }
}
