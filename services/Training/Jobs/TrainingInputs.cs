using System.Security.Cryptography;
using DomainPlatform.Training.Domain;

namespace DomainPlatform.Training.Jobs;

/// <summary>The checks every trainer makes on what a job names before it spends any time on it.</summary>
public static class TrainingInputs
{
    private static readonly byte[] GgufMagic = "GGUF"u8.ToArray();

    /// <summary>Where a job's model goes: {ArtifactDirectory}/{domain}/{jobId}.gguf, its folder created.</summary>
    public static string ArtifactPathFor(TrainingOptions options, TrainingRequest request)
    {
        var directory = Path.Combine(options.ArtifactDirectory, request.Domain);
        Directory.CreateDirectory(directory);
        return Path.GetFullPath(Path.Combine(directory, $"{request.JobId}.gguf"));
    }

    public static async Task<string> CheckBaseModelAsync(string? path, CancellationToken ct)
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

    public static async Task<List<PromptCompletion>> ReadDatasetAsync(TrainingRequest request, CancellationToken ct)
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
}
