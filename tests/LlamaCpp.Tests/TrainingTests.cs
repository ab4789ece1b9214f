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
    public void Every_batch_of_an_epoch_is_reported_with_its_running_loss()
    {
        var path = fixture.NewPath("progress.gguf");
        TinyModelGenerator.Write(path, GgufTestFiles.Smallest with { EmbeddingSize = 32, Heads = 4, FeedForwardSize = 64, ContextLength = 512 });
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0, UseMmap = false });
        var tokens = model.Vocab.Tokenize(string.Concat(Enumerable.Repeat(Corpus, 24)), addSpecial: false);
        using var trainer = LlamaTrainer.Create(model, new LlamaTrainingOptions { ContextSize = 256, BatchSize = 256, MicroBatchSize = 256, Threads = 1 });
        var seen = new List<LlamaBatchProgress>();

        var result = trainer.RunEpoch(tokens, stride: 64, validationFraction: 0.34, seen.Add);

        // One window per batch here (batch = context): a report after each, training first, then validation.
        var windows = (tokens.Length - 256 - 1) / 64 + 1;
        var training = (int)(windows * (1 - 0.34));
        Assert.Equal(Enumerable.Range(1, training).Select(i => (true, (long)i)), seen.Where(p => p.Training).Select(p => (p.Training, p.Batch)));
        Assert.Equal(Enumerable.Range(1, windows - training).Select(i => (false, (long)i)), seen.Where(p => !p.Training).Select(p => (p.Training, p.Batch)));
        Assert.All(seen, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0, $"{p}"));
        Assert.Equal(result.TrainLoss, seen.Last(p => p.Training).Loss, 6);
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
