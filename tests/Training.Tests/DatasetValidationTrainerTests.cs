using DomainPlatform.Training.Jobs;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Tests;

public sealed class DatasetValidationTrainerTests : IDisposable
{
    private readonly TrainingFiles _files = new();

    public void Dispose() => _files.Dispose();

    private DatasetValidationTrainer Trainer() => new(Options.Create(new TrainingOptions
    {
        BaseModelPath = _files.BaseModelPath, BaseModelVersion = "1.0.0", ArtifactDirectory = _files.ArtifactDirectory,
    }));

    private TrainingRequest Request(int examples, string? baseModel = null)
    {
        var evt = Datasets.Write(Path.Combine(_files.Root, "datasets"), Datasets.Jsonl(examples), "sql-agent");
        return new TrainingRequest(Guid.NewGuid(), evt.Domain, evt.DatasetId, evt.Path, evt.Sha256, baseModel, 1, 1e-4);
    }

    [Fact]
    public async Task Reports_monotonic_progress_and_returns_baseline_metrics_with_the_base_model_as_artifact()
    {
        var reports = new List<TrainingProgress>();
        var result = await Trainer().TrainAsync(Request(50), (p, _) => { reports.Add(p); return Task.CompletedTask; }, TestContext.Current.CancellationToken);

        Assert.True(reports.Count > 2);
        Assert.Equal(reports.Select(r => r.Fraction).Order(), reports.Select(r => r.Fraction));
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.Equal(result.Metrics.ValidationLoss, reports[^1].ValidationLoss);
        Assert.True(result.Metrics.TrainingLoss > 0);
        Assert.Equal("1.0.0", result.BaseModelVersion);
        Assert.Equal(new FileInfo(_files.BaseModelPath).Length, result.ArtifactSizeBytes);
    }

    [Fact]
    public async Task Stops_when_cancelled_during_a_progress_report()
    {
        using var cancellation = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Trainer().TrainAsync(Request(50), async (_, _) => await cancellation.CancelAsync(), cancellation.Token));
        Assert.False(Directory.Exists(_files.ArtifactDirectory) && Directory.EnumerateFiles(_files.ArtifactDirectory, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task A_base_model_without_the_gguf_magic_is_refused()
    {
        var fake = Path.Combine(_files.Root, "fake.gguf");
        await File.WriteAllTextAsync(fake, "not a model", TestContext.Current.CancellationToken);
        var failure = await Assert.ThrowsAsync<TrainingFailedException>(() =>
            Trainer().TrainAsync(Request(5, fake), (_, _) => Task.CompletedTask, TestContext.Current.CancellationToken));
        Assert.Contains("not a GGUF file", failure.Message);
    }

    [Fact]
    public async Task A_missing_dataset_file_is_a_clear_failure()
    {
        var request = Request(5);
        File.Delete(request.DatasetPath);
        var failure = await Assert.ThrowsAsync<TrainingFailedException>(() => Trainer().TrainAsync(request, (_, _) => Task.CompletedTask, TestContext.Current.CancellationToken));
        Assert.Contains("does not exist", failure.Message);
    }
}
