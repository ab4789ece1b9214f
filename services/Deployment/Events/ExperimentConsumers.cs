using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Data;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Events;

/// <summary>An experiment started, was re-weighted, rolled back or ended: its split enters or leaves the route table.</summary>
public sealed class ExperimentTrafficChangedConsumer(NpgsqlDataSource db, OutboxSignal signal, ExperimentTraffic traffic)
    : IdempotentConsumer<ExperimentTrafficChanged>(db, signal)
{
    protected override async Task HandleAsync(ExperimentTrafficChanged message, EventTransaction transaction, CancellationToken ct)
    {
        var uow = UnitOfWork.Join(transaction);
        await traffic.ApplyAsync(uow, message, ct);
    }
}

/// <summary>An experiment concluded with deployWinner: its winning version becomes stable.</summary>
public sealed class ExperimentConcludedConsumer(NpgsqlDataSource db, OutboxSignal signal, ExperimentTraffic traffic)
    : IdempotentConsumer<ExperimentConcluded>(db, signal)
{
    protected override async Task HandleAsync(ExperimentConcluded message, EventTransaction transaction, CancellationToken ct)
    {
        var uow = UnitOfWork.Join(transaction);
        await traffic.DeployWinnerAsync(uow, message, ct);
    }
}
