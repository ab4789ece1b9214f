using DomainPlatform.EventBus;
using DomainPlatform.Training.Data;
using DomainPlatform.Training.Domain;

namespace DomainPlatform.Training.Jobs;

/// <summary>Wakes the runner as soon as a job is queued instead of at its next poll.</summary>
public sealed class JobSignal : WakeSignal;

/// <summary>
/// Runs queued jobs one at a time through the <see cref="ITrainer"/>, persisting every progress report (with its
/// point of the job's history and a TrainingProgressed event) and
/// stopping a job whose cancellation was requested. Every job that ends publishes TrainingCompleted with its
/// final state (through the outbox, with the state change). Jobs left running by a stopped process are re-queued.
/// </summary>
public sealed partial class JobRunner(JobStore jobs, ITrainer trainer, JobSignal signal, OutboxSignal outboxSignal, ILogger<JobRunner> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recovered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!recovered)
                {
                    await jobs.RequeueInterruptedAsync(stoppingToken);
                    recovered = true;
                }
                if (await jobs.ClaimNextAsync(trainer.Name, stoppingToken) is { } job) await RunAsync(job, stoppingToken);
                else await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is unreachable; readiness reports it, and the runner retries.
                LogLoopFailed(ex.Message);
                await Task.Delay(PollInterval, stoppingToken);
            }
        }
    }

    private async Task RunAsync(JobRecord job, CancellationToken stoppingToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var request = new TrainingRequest(job.Id, job.Domain, job.DatasetId, job.DatasetPath, job.DatasetSha256, job.BaseModelPath, job.Epochs, job.LearningRate);
        async Task Report(TrainingProgress progress, CancellationToken ct)
        {
            var cancelRequested = await jobs.ReportAsync(job, progress, stoppingToken);
            outboxSignal.Notify();
            if (cancelRequested) await cancellation.CancelAsync();
        }

        string state;
        TrainingResult? result = null;
        string? error = null;
        try
        {
            result = await trainer.TrainAsync(request, Report, cancellation.Token);
            state = JobStates.Succeeded;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The process is stopping: the job stays running and is re-queued at the next start.
            throw;
        }
        catch (OperationCanceledException)
        {
            (state, error) = (JobStates.Cancelled, "cancelled while running");
        }
        catch (TrainingFailedException ex)
        {
            (state, error) = (JobStates.Failed, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            (state, error) = (JobStates.Failed, $"I/O error: {ex.Message}");
        }

        await jobs.FinishAsync(job, state, result, error, stoppingToken);
        outboxSignal.Notify();
        LogFinished(job.Id, job.Domain, state, error);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job runner loop failed: {Error}")]
    private partial void LogLoopFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training job {JobId} for {Domain} ended {State} {Error}")]
    private partial void LogFinished(Guid jobId, string domain, string state, string? error);
}
