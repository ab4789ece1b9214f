using System.Diagnostics;
using System.Security.Cryptography;
using DomainPlatform.Contracts.Events;
using DomainPlatform.LlamaCpp;
using DomainPlatform.Training.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Jobs;

/// <summary>
/// Fine-tunes the base GGUF on the dataset through llama.cpp's optimizer (next-token cross-entropy, AdamW) and
/// writes the tuned weights as the job's artifact. Each example becomes the chat the model will be served with
/// (the user's prompt, the assistant's completion, through the model's chat template); the examples are joined
/// into one token stream cut into overlapping windows, the last tenth (Training:ValidationFraction) held out.
/// Progress is reported about once a second while an epoch runs (its batches done and running loss) and after
/// every epoch with its training and validation loss. A cancellation seen at a report waits for the running
/// epoch to return (it is one native call and has no way to stop early), then ends the job.
/// </summary>
public sealed partial class LlamaFineTuneTrainer(IOptions<TrainingOptions> options, ILogger<LlamaFineTuneTrainer> logger) : ITrainer
{
    public string Name => "llama-finetune";

    public async Task<TrainingResult> TrainAsync(TrainingRequest request, Func<TrainingProgress, CancellationToken, Task> report, CancellationToken ct)
    {
        var settings = options.Value;
        var baseModel = await TrainingInputs.CheckBaseModelAsync(request.BaseModelPath ?? settings.BaseModelPath, ct);
        var examples = await TrainingInputs.ReadDatasetAsync(request, ct);
        if (examples.Count == 0) throw new TrainingFailedException("The dataset has no examples.");

        await report(new TrainingProgress(1, request.Epochs, 0, 1, null, null, $"loading {Path.GetFileName(baseModel)}"), ct);
        LlamaRuntime.Initialize(new LlamaRuntimeOptions { Logger = logger });
        using var model = Load(baseModel);
        var tokens = Tokenize(model, examples);
        var (plan, problem) = FineTunePlan.For(tokens.Length, settings.ContextSize, settings.ValidationFraction);
        if (plan is null) throw new TrainingFailedException(problem!);
        LogPlan(request.JobId, model.Description, tokens.Length, plan.Windows, plan.ValidationWindows);
        await report(new TrainingProgress(1, request.Epochs, 0, plan.Windows, null, null,
            $"fine-tuning on {tokens.Length} tokens: {plan.Windows - plan.ValidationWindows} training and {plan.ValidationWindows} validation windows of {plan.ContextSize}"), ct);

        using var trainer = LlamaTrainer.Create(model, new LlamaTrainingOptions
        {
            ContextSize = plan.ContextSize, BatchSize = plan.ContextSize, MicroBatchSize = plan.ContextSize,
            LearningRate = (float)request.LearningRate, Threads = settings.Threads,
        });
        LlamaEpochResult? last = null;
        var epochTime = TimeSpan.Zero;
        var trainingBatches = plan.Windows - plan.ValidationWindows;
        for (var epoch = 1; epoch <= request.Epochs; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            LlamaBatchProgress? latest = null;
            // The epoch is a blocking native call: off the thread pool, so the service stays responsive.
            var running = Task.Factory.StartNew(
                () => trainer.RunEpoch(tokens, plan.Stride, settings.ValidationFraction, p => Volatile.Write(ref latest, p)),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            LlamaBatchProgress? reported = null;
            try
            {
                while (await Task.WhenAny(running, Task.Delay(settings.ProgressInterval, CancellationToken.None)) != running)
                {
                    if (Volatile.Read(ref latest) is not { } now || now == reported) continue;
                    reported = now;
                    // Validation batches come after the training ones; the step counts both.
                    var step = (int)(now.Training ? now.Batch : trainingBatches + now.Batch);
                    await report(new TrainingProgress(epoch, request.Epochs, step, plan.Windows, now.Training ? now.Loss : null, now.Training ? null : now.Loss,
                        $"epoch {epoch}/{request.Epochs}: {(now.Training ? "training" : "validating")} batch {now.Batch}/{now.Batches}, running loss {now.Loss:0.000}")
                    {
                        // Every batch is one window of the context size.
                        TokensPerSecond = TrainingProgress.PerSecond((long)step * plan.ContextSize, Stopwatch.GetElapsedTime(started)),
                    }, ct);
                }
            }
            finally
            {
                // A cancelled or failed report leaves here early, but the native epoch still uses the model and the
                // trainer: they are disposed only once it has returned.
                await running.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            last = await running;
            epochTime = Stopwatch.GetElapsedTime(started);
            await report(new TrainingProgress(epoch, request.Epochs, plan.Windows, plan.Windows, last.TrainLoss, last.ValidationLoss,
                $"epoch {epoch}/{request.Epochs}: train loss {last.TrainLoss:0.000}, validation loss {last.ValidationLoss:0.000}, " +
                $"validation accuracy {last.ValidationAccuracy:P1} over {plan.Windows} windows in {epochTime.TotalSeconds:0.0} s")
            {
                TokensPerSecond = TrainingProgress.PerSecond(last.TrainTokens + last.ValidationTokens, epochTime),
            }, ct);
        }
        ct.ThrowIfCancellationRequested();

        var artifact = Save(model, request);
        // What one example's tokens cost to run through the model, from the last epoch's throughput.
        var tokensPerExample = tokens.Length / (double)examples.Count;
        var processed = Math.Max(1, last!.TrainTokens + last.ValidationTokens);
        var latencyMs = epochTime.TotalMilliseconds / processed * tokensPerExample;
        return new TrainingResult(artifact.Path, artifact.Sha256, artifact.Size, settings.BaseModelVersion,
            new TrainingMetrics(last.TrainLoss, last.ValidationLoss ?? last.TrainLoss, last.ValidationAccuracy ?? last.TrainAccuracy, latencyMs),
            $"Fine-tuned {model.Description} for {request.Epochs} epoch(s) on {examples.Count} examples ({tokens.Length} tokens, " +
            $"{plan.Windows - plan.ValidationWindows} training / {plan.ValidationWindows} validation windows of {plan.ContextSize}); " +
            $"final train loss {last.TrainLoss:0.000}, validation loss {last.ValidationLoss:0.000}, validation next-token accuracy {last.ValidationAccuracy:P1}.");
    }

    private LlamaModel Load(string path)
    {
        try
        {
            return LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = options.Value.GpuLayers, UseMmap = false });
        }
        catch (Exception ex) when (ex is LlamaException or DomainPlatform.LlamaCpp.Gguf.GgufFormatException or InvalidDataException or IOException)
        {
            throw new TrainingFailedException($"The base model '{path}' could not be loaded: {ex.Message}");
        }
    }

    /// <summary>Every example as the chat it will be served as, end of turn included, in one token stream.</summary>
    private static int[] Tokenize(LlamaModel model, IReadOnlyList<PromptCompletion> examples)
    {
        var tokens = new List<int>();
        foreach (var example in examples)
        {
            var chat = model.ApplyChatTemplate(
                [new LlamaChatMessage("user", example.Prompt), new LlamaChatMessage("assistant", example.Completion)], addAssistantPrompt: false);
            tokens.AddRange(model.Vocab.Tokenize(chat, addSpecial: tokens.Count == 0, parseSpecial: true));
        }
        return [.. tokens];
    }

    private (string Path, string Sha256, long Size) Save(LlamaModel model, TrainingRequest request)
    {
        var path = TrainingInputs.ArtifactPathFor(options.Value, request);
        // Written under a temporary name and moved, so a crash never leaves a half model under the real one.
        var temporary = path + ".tmp";
        model.SaveToFile(temporary);
        string sha256;
        using (var stream = File.OpenRead(temporary))
        {
            sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        File.Move(temporary, path, overwrite: true);
        return (path, sha256, new FileInfo(path).Length);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: fine-tuning {Model} on {Tokens} tokens, {Windows} windows ({Validation} held out)")]
    private partial void LogPlan(Guid jobId, string model, int tokens, int windows, int validation);
}
