using DomainPlatform.Contracts.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Training.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Jobs;

/// <summary>
/// The trainer in place until llama.cpp fine-tuning is bound: it does NOT change any weights. It checks the dataset
/// (present, sha256 as announced, well-formed JSONL), splits it, fits a token unigram baseline and reports its real
/// train/validation cross-entropy and top-1 accuracy, and publishes the unchanged base model (checked to be GGUF)
/// as the artifact with its own sha256. Its metrics are the floor a fine-tuned model must beat.
/// </summary>
public sealed class DatasetValidationTrainer(IOptions<TrainingOptions> options) : ITrainer
{
    private static readonly byte[] GgufMagic = "GGUF"u8.ToArray();
    private const int StepsPerEpoch = 20;

    public string Name => "dataset-validation";

    public async Task<TrainingResult> TrainAsync(TrainingRequest request, Func<TrainingProgress, CancellationToken, Task> report, CancellationToken ct)
    {
        var baseModel = await CheckBaseModelAsync(request.BaseModelPath ?? options.Value.BaseModelPath, ct);
        var examples = await ReadDatasetAsync(request, ct);
        if (examples.Count < DatasetSplit.MinimumExamples)
        {
            throw new TrainingFailedException($"The dataset has {examples.Count} example(s); at least {DatasetSplit.MinimumExamples} are needed to hold one out for validation.");
        }
        var (train, validation) = DatasetSplit.Split(examples, options.Value.ValidationFraction);

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
                $"counted {seen.Count} training tokens from {examplesSeen} of {train.Count} examples"), ct);
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
        await report(new TrainingProgress(1, 1, batches.Count, batches.Count, trainingLoss, validationLoss, "baseline evaluated"), ct);

        var artifact = await PublishArtifactAsync(baseModel, request, ct);
        return new TrainingResult(artifact.Path, artifact.Sha256, artifact.Size, options.Value.BaseModelVersion,
            new TrainingMetrics(trainingLoss.Value, validationLoss.Value, accuracy, latencyMs),
            $"Validated {examples.Count} examples ({train.Count} train / {validation.Count} validation); unigram baseline over {model.VocabularySize} tokens; " +
            "the artifact is the unchanged base model (no fine-tuning).");
    }

    private static async Task<string> CheckBaseModelAsync(string? path, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new TrainingFailedException("No base model: set Training:BaseModelPath or name baseModelPath in the job.");
        if (!File.Exists(path)) throw new TrainingFailedException($"The base model '{path}' does not exist.");
        var head = new byte[4];
        await using (var stream = File.OpenRead(path))
        {
            if (await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct) < head.Length || !head.AsSpan().SequenceEqual(GgufMagic))
            {
                throw new TrainingFailedException($"The base model '{path}' is not a GGUF file (no GGUF magic).");
            }
        }
        return path;
    }

    private static async Task<List<PromptCompletion>> ReadDatasetAsync(TrainingRequest request, CancellationToken ct)
    {
        if (!File.Exists(request.DatasetPath)) throw new TrainingFailedException($"The dataset file '{request.DatasetPath}' does not exist.");
        var bytes = await File.ReadAllBytesAsync(request.DatasetPath, ct);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha256, request.DatasetSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new TrainingFailedException($"The dataset file's sha256 is {sha256}, not the announced {request.DatasetSha256}: it changed or is corrupt.");
        }
        try
        {
            return JsonlDataset.Parse(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (FormatException ex)
        {
            throw new TrainingFailedException($"The dataset is not valid JSONL: {ex.Message}");
        }
    }

    private async Task<(string Path, string Sha256, long Size)> PublishArtifactAsync(string baseModel, TrainingRequest request, CancellationToken ct)
    {
        var directory = Path.Combine(options.Value.ArtifactDirectory, request.Domain);
        Directory.CreateDirectory(directory);
        var path = Path.GetFullPath(Path.Combine(directory, $"{request.JobId}.gguf"));
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
