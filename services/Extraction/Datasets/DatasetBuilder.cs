using System.Security.Cryptography;
using System.Text;
using DomainPlatform.EventBus;
using DomainPlatform.Extraction.Data;
using DomainPlatform.Extraction.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Extraction.Datasets;

/// <summary>Wakes the builder as soon as a build is queued instead of at its next poll.</summary>
public sealed class DatasetBuildSignal : WakeSignal;

/// <summary>
/// Builds queued datasets one at a time: reads the sources, redacts and composes the examples, writes the
/// JSONL file (atomically, through a temporary name), hashes it, then marks the row ready and queues
/// DatasetReady together. A failure marks the row failed with its message; a restart re-queues interrupted builds.
/// </summary>
public sealed partial class DatasetBuilder(
    DatasetStore datasets, SourceStore sources, DatasetBuildSignal signal, OutboxSignal outboxSignal,
    IOptions<ExtractionOptions> options, ILogger<DatasetBuilder> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recovered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!recovered)
                {
                    await datasets.RequeueInterruptedAsync(stoppingToken);
                    recovered = true;
                }
                if (await datasets.ClaimNextAsync(stoppingToken) is { } dataset) await BuildAsync(dataset, stoppingToken);
                else await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is unreachable; readiness reports it, and the builder retries.
                LogLoopFailed(ex.Message);
                await Task.Delay(PollInterval, stoppingToken);
            }
        }
    }

    private async Task BuildAsync(DatasetRecord dataset, CancellationToken ct)
    {
        string path;
        ComposedDataset composed;
        byte[] bytes;
        try
        {
            var found = await sources.FindManyAsync(dataset.SourceIds, ct);
            if (found.Count != dataset.SourceIds.Length) throw new InvalidDataException("Some of the dataset's sources no longer exist.");
            composed = DatasetComposer.Compose(found.Select(SourceStore.ToMaterial));
            if (composed.Examples.Count == 0) throw new InvalidDataException("The sources yield no training examples.");

            bytes = Encoding.UTF8.GetBytes(DatasetComposer.ToJsonl(composed.Examples));
            Directory.CreateDirectory(options.Value.DataDirectory);
            path = Path.GetFullPath(Path.Combine(options.Value.DataDirectory, $"{dataset.Id}.jsonl"));
            var temporary = path + ".tmp";
            await File.WriteAllBytesAsync(temporary, bytes, ct);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            LogBuildFailed(dataset.Id, ex.Message);
            await datasets.FailAsync(dataset.Id, ex.Message, ct);
            return;
        }

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await datasets.CompleteAsync(dataset, composed.Examples.Count, composed.Redactions.Values.Sum(), path, sha256, ct);
        outboxSignal.Notify();
        LogBuilt(dataset.Id, dataset.Domain, composed.Examples.Count, path);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset builder loop failed: {Error}")]
    private partial void LogLoopFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset {DatasetId} failed: {Error}")]
    private partial void LogBuildFailed(Guid datasetId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset {DatasetId} for {Domain} ready: {ExampleCount} examples at {Path}")]
    private partial void LogBuilt(Guid datasetId, string domain, int exampleCount, string path);
}
