using DomainPlatform.Contracts.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Training.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Jobs;

/// <summary>
/// The trainer that checks data without a model run (Training:Trainer = dataset-validation, the default; the
/// launcher selects <see cref="LlamaFineTuneTrainer"/>): it does NOT change any weights. It checks the dataset
/// (present, sha256 as announced, well-formed JSONL), splits it, fits a token unigram baseline and reports its real
/// train/validation cross-entropy and top-1 accuracy, and publishes the unchanged base model (checked to be GGUF)
/// as the artifact with its own sha256. Its metrics are the floor a fine-tuned model must beat.
/// </summary>
public sealed class DatasetValidationTrainer(IOptions<TrainingOptions> options) : ITrainer
{
    private const int StepsPerEpoch = 20;

    public string Name => "dataset-validation";

    public async Task<TrainingResult> TrainAsync(TrainingRequest request, Func<TrainingProgress, CancellationToken, Task> report, CancellationToken ct)
    {
        var baseModel = await TrainingInputs.CheckBaseModelAsync(request.BaseModelPath ?? options.Value.BaseModelPath, ct);
        var examples = await TrainingInputs.ReadDatasetAsync(request, ct);
        if (examples.Count < DatasetSplit.MinimumExamples)
        {
            throw new TrainingFailedException($"The dataset has {examples.Count} example(s); at least {DatasetSplit.MinimumExamples} are needed to hold one out for validation.");
        }
        var (train, validation) = DatasetSplit.Split(examples, options.Value.ValidationFraction);

        var counting = Stopwatch.StartNew();
        var model = new UnigramModel();
        var seen = new List<string>();
        var examplesSeen = 0;
        var batches = train.Chunk(Math.Max(1, (int)Math.Ceiling(train.Count / (double)StepsPerEpoch))).ToList();
        for (var step = 1; step <= batches.Count; step++)
        {
            ct.ThrowIfCancellationRequested();
            var tokens = batches[step - 1].SelectMany(e => TextTokens.Words(e.Completion)).ToList();
            model.Add(tokens);
            seen.AddRange(tokens);
            examplesSeen += batches[step - 1].Length;
            await report(new TrainingProgress(1, 1, step, batches.Count, model.CrossEntropy(seen), null,
                $"counted {seen.Count} training tokens from {examplesSeen} of {train.Count} examples") { TokensPerSecond = TrainingProgress.PerSecond(seen.Count, counting.Elapsed) }, ct);
        }

        var stopwatch = Stopwatch.StartNew();
        var validationTokens = new List<string>();
        foreach (var example in validation) validationTokens.AddRange(TextTokens.Words(example.Completion));
        var validationLoss = model.CrossEntropy(validationTokens);
        stopwatch.Stop();
        var trainingLoss = model.CrossEntropy(seen);
        if (trainingLoss is null || validationLoss is null)
        {
            throw new TrainingFailedException("The completions contain no word tokens, so there is nothing to learn or evaluate.");
        }
        var accuracy = model.Accuracy(validationTokens) ?? 0;
        var latencyMs = stopwatch.Elapsed.TotalMilliseconds / validation.Count;
        await report(new TrainingProgress(1, 1, batches.Count, batches.Count, trainingLoss, validationLoss, "baseline evaluated")
        {
            TokensPerSecond = TrainingProgress.PerSecond(seen.Count + validationTokens.Count, counting.Elapsed),
        }, ct);

        var artifact = await PublishArtifactAsync(baseModel, request, ct);
        return new TrainingResult(artifact.Path, artifact.Sha256, artifact.Size, options.Value.BaseModelVersion,
            new TrainingMetrics(trainingLoss.Value, validationLoss.Value, accuracy, latencyMs),
            $"Validated {examples.Count} examples ({train.Count} train / {validation.Count} validation); unigram baseline over {model.VocabularySize} tokens; " +
            "the artifact is the unchanged base model (no fine-tuning).");
    }

    private async Task<(string Path, string Sha256, long Size)> PublishArtifactAsync(string baseModel, TrainingRequest request, CancellationToken ct)
    {
        var path = TrainingInputs.ArtifactPathFor(options.Value, request);
        var temporary = path + ".tmp";
        string sha256;
        await using (var source = File.OpenRead(baseModel))
        await using (var target = File.Create(temporary))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
            }
            sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        File.Move(temporary, path, overwrite: true);
        return (path, sha256, new FileInfo(path).Length);
    }
}
