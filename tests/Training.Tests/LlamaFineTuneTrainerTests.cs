using System.Security.Cryptography;
using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.Training.Domain;
using DomainPlatform.Training.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Tests;

/// <summary>Real fine-tuning through llama.cpp on a generated model: weights change, the loss falls, the artifact loads.</summary>
public sealed class LlamaFineTuneTrainerTests : IDisposable
{
    private readonly TrainingFiles _files = new();
    private readonly string _model;

    public LlamaFineTuneTrainerTests()
    {
        _model = Path.Combine(_files.Root, "tiny-base.gguf");
        TinyModelGenerator.Write(_model, new TinyModelOptions { Layers = 1, EmbeddingSize = 32, Heads = 4, FeedForwardSize = 64, ContextLength = 512, Seed = 5 });
    }

    public void Dispose() => _files.Dispose();

    private LlamaFineTuneTrainer Trainer(TimeSpan? progressInterval = null) => new(Options.Create(new TrainingOptions
    {
        BaseModelPath = _model, BaseModelVersion = "1.0.0", ArtifactDirectory = _files.ArtifactDirectory, Threads = 1, ValidationFraction = 0.25,
        ProgressInterval = progressInterval ?? TimeSpan.FromSeconds(1),
    }), NullLogger<LlamaFineTuneTrainer>.Instance);

    private TrainingRequest Request(int examples, int epochs)
    {
        var evt = Datasets.Write(Path.Combine(_files.Root, "datasets"), Datasets.Jsonl(examples), "sql-agent");
        return new TrainingRequest(Guid.NewGuid(), evt.Domain, evt.DatasetId, evt.Path, evt.Sha256, null, epochs, 1e-2);
    }

    [Fact]
    public async Task Fine_tuning_lowers_the_loss_epoch_by_epoch_and_writes_a_loadable_changed_model()
    {
        var reports = new List<TrainingProgress>();
        // A few windows only: a training step on this 2-core machine takes seconds even for a model this small.
        var result = await Trainer().TrainAsync(Request(9, epochs: 2), (p, _) => { reports.Add(p); return Task.CompletedTask; }, TestContext.Current.CancellationToken);
        foreach (var report in reports) TestContext.Current.TestOutputHelper?.WriteLine(report.Message);

        // Each epoch ends with a report of all its windows done; batch reports in between depend on the clock.
        var epochs = reports.Where(r => r.Step == r.TotalSteps && r.Message.StartsWith("epoch", StringComparison.Ordinal) && r.ValidationLoss is not null && r.TrainingLoss is not null).ToList();
        Assert.Equal([1, 2], epochs.Select(r => r.Epoch));
        Assert.Equal(reports.Select(r => r.Fraction).Order(), reports.Select(r => r.Fraction));
        Assert.True(epochs[^1].TrainingLoss < epochs[0].TrainingLoss, string.Join(" | ", epochs.Select(r => r.Message)));
        Assert.All(epochs, r => Assert.NotNull(r.ValidationLoss));
        Assert.Equal(1.0, reports[^1].Fraction);

        Assert.Equal(epochs[^1].TrainingLoss, result.Metrics.TrainingLoss);
        Assert.InRange(result.Metrics.Accuracy, 0, 1);
        Assert.True(result.Metrics.LatencyMs > 0);
        Assert.Contains("Fine-tuned", result.Summary);

        await using (var stream = File.OpenRead(result.ArtifactPath))
        {
            Assert.Equal(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, TestContext.Current.CancellationToken)), result.ArtifactSha256);
        }
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_model))), result.ArtifactSha256);
        GgufValidator.ValidateFile(result.ArtifactPath);
        using var tuned = LlamaModel.Load(result.ArtifactPath, new LlamaModelOptions { GpuLayers = 0 });
        using var original = LlamaModel.Load(_model, new LlamaModelOptions { GpuLayers = 0 });
        Assert.Equal(original.ParameterCount, tuned.ParameterCount);
    }

    [Fact]
    public async Task A_cancellation_seen_at_a_batch_report_ends_the_job_once_the_epoch_returns()
    {
        var batchReports = 0;
        var request = Request(9, epochs: 3);
        // Reports as often as batches finish; the first batch report answers as the runner does for a cancelled job.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Trainer(TimeSpan.FromMilliseconds(1)).TrainAsync(request, (p, _) =>
        {
            if (p.Message.Contains("batch", StringComparison.Ordinal) && Interlocked.Increment(ref batchReports) == 1) throw new OperationCanceledException("cancelled while running");
            return Task.CompletedTask;
        }, TestContext.Current.CancellationToken));

        Assert.Equal(1, batchReports);
        Assert.False(File.Exists(Path.Combine(_files.ArtifactDirectory, request.Domain, $"{request.JobId}.gguf")));
        // The model and trainer were released only after the native epoch returned: the same process trains again.
        var again = await Trainer().TrainAsync(Request(9, epochs: 1), (_, _) => Task.CompletedTask, TestContext.Current.CancellationToken);
        Assert.True(File.Exists(again.ArtifactPath));
    }

    [Fact]
    public async Task A_dataset_too_small_for_two_windows_fails_with_the_figures()
    {
        var failure = await Assert.ThrowsAsync<TrainingFailedException>(() =>
            Trainer().TrainAsync(Request(1, epochs: 1), (_, _) => Task.CompletedTask, TestContext.Current.CancellationToken));
        Assert.Contains("needs at least 321", failure.Message);
    }

    [Fact]
    public async Task A_base_model_llama_cpp_cannot_load_fails_the_job_with_a_reason()
    {
        var broken = Path.Combine(_files.Root, "broken.gguf");
        var bytes = File.ReadAllBytes(_model);
        File.WriteAllBytes(broken, bytes[..(bytes.Length / 2)]);
        var request = Request(9, epochs: 1) with { BaseModelPath = broken };

        var failure = await Assert.ThrowsAsync<TrainingFailedException>(() =>
            Trainer().TrainAsync(request, (_, _) => Task.CompletedTask, TestContext.Current.CancellationToken));
        Assert.Contains("could not be loaded", failure.Message);
    }
}

public sealed class FineTunePlanTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(320)]
    public void Fewer_than_two_windows_is_no_plan(int tokens)
    {
        var (plan, problem) = FineTunePlan.For(tokens, 256, 0.1);
        Assert.Null(plan);
        Assert.Contains("at least 321", problem);
    }

    [Theory]
    [InlineData(321, 0.1, 2, 1)]
    [InlineData(1000, 0.1, 12, 2)]
    [InlineData(10_000, 0.1, 153, 16)]
    [InlineData(10_000, 0.5, 153, 77)]
    public void Windows_overlap_by_three_quarters_and_the_last_ones_are_held_out(int tokens, double fraction, int windows, int validation)
    {
        var (plan, _) = FineTunePlan.For(tokens, 256, fraction);
        Assert.Equal(new FineTunePlan(256, 64, windows, validation), plan);
    }
}
