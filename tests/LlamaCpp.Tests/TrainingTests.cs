using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Tests;

public sealed class TrainingTests(TinyModelFixture fixture)
{
    private const string Corpus = "the customer order has a value and the product table has the data of the domain. ";

    [Fact]
    public void Fine_tuning_lowers_the_loss_and_the_saved_model_loads()
    {
        var path = fixture.NewPath("train.gguf");
        TinyModelGenerator.Write(path, GgufTestFiles.Smallest with { EmbeddingSize = 32, Heads = 4, FeedForwardSize = 64, ContextLength = 512 });
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0, UseMmap = false });
        var tokens = model.Vocab.Tokenize(string.Concat(Enumerable.Repeat(Corpus, 24)), addSpecial: false);

        var options = new LlamaTrainingOptions { ContextSize = 256, BatchSize = 256, MicroBatchSize = 256, LearningRate = 1e-2f, Threads = 1 };
        using var trainer = LlamaTrainer.Create(model, options);
        var first = trainer.RunEpoch(tokens, stride: 64, validationFraction: 0.34);
        LlamaEpochResult last = first;
        for (var epoch = 1; epoch < 3; epoch++)
        {
            last = trainer.RunEpoch(tokens, stride: 64, validationFraction: 0.34);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"first epoch {first}; last epoch {last}");
        Assert.True(first.TrainTokens > 0, $"first epoch: {first}, {tokens.Length} tokens");
        Assert.True(first.ValidationTokens > 0, $"first epoch: {first}, {tokens.Length} tokens");
        Assert.True(last.TrainLoss < first.TrainLoss, $"loss went from {first.TrainLoss} to {last.TrainLoss}");
        Assert.NotNull(last.ValidationLoss);

        var saved = fixture.NewPath("trained.gguf");
        model.SaveToFile(saved);
        GgufValidator.ValidateFile(saved);
        using var reloaded = LlamaModel.Load(saved, new LlamaModelOptions { GpuLayers = 0 });
        Assert.Equal(model.ParameterCount, reloaded.ParameterCount);
        // llama_opt_init sets the model's training context to the window size, and the saved file keeps it.
        Assert.Equal(options.ContextSize, reloaded.TrainContextLength);
    }

    [Fact]
    public void Training_refuses_a_memory_mapped_model_and_inconsistent_batches()
    {
        Assert.Throws<InvalidOperationException>(() => LlamaTrainer.Create(fixture.Model, new LlamaTrainingOptions()));
        Assert.Throws<ArgumentException>(() => new LlamaTrainingOptions { ContextSize = 256, BatchSize = 96 }.Validate());
        Assert.Throws<ArgumentException>(() => new LlamaTrainingOptions { ContextSize = 64, BatchSize = 64, MicroBatchSize = 64 }.Validate());
        Assert.Throws<ArgumentException>(() => new LlamaTrainingOptions { ContextSize = 256, BatchSize = 128, MicroBatchSize = 48 }.Validate());
    }
}
