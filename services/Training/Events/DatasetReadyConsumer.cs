using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Training.Data;
using DomainPlatform.Training.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Training.Events;

/// <summary>Every announced dataset is remembered and gets a queued training job with the configured defaults.</summary>
public sealed class DatasetReadyConsumer(NpgsqlDataSource dataSource, OutboxSignal outboxSignal, JobSignal jobSignal, IOptions<TrainingOptions> options)
    : IdempotentConsumer<DatasetReady>(dataSource, outboxSignal)
{
    protected override async Task HandleAsync(DatasetReady message, EventTransaction transaction, CancellationToken ct)
    {
        await JobStore.RememberDatasetAsync(transaction.Connection, transaction.Transaction, message, ct);
        var dataset = new DatasetRecord
        {
            Id = message.DatasetId, Domain = message.Domain, Name = message.Name, ExampleCount = message.ExampleCount, Path = message.Path, Sha256 = message.Sha256,
        };
        await JobStore.QueueAsync(transaction.Connection, transaction.Transaction, dataset, null, options.Value.DefaultEpochs, options.Value.DefaultLearningRate, ct);
        // Notified before the commit; the runner's poll picks the job up if it looks too early.
        jobSignal.Notify();
    }
}
