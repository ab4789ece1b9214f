using Dapper;
using DomainPlatform.Contracts;
using MassTransit;
using Npgsql;

namespace DomainPlatform.EventBus;

/// <summary>What a handler gets: the open transaction, and an outbox that commits with it.</summary>
public sealed class EventTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction)
{
    private readonly List<Func<Task>> _afterCommit = [];

    public NpgsqlConnection Connection { get; } = connection;
    public NpgsqlTransaction Transaction { get; } = transaction;
    internal bool PublishedAny { get; private set; }

    /// <summary>Work that must see the committed state (cache invalidation, a call to another service); runs in order after the commit.</summary>
    public void AfterCommit(Func<Task> action) => _afterCommit.Add(action);

    internal async Task RunAfterCommitAsync()
    {
        foreach (var action in _afterCommit) await action();
    }

    public Task PublishAsync(IntegrationEvent evt, CancellationToken ct = default)
    {
        PublishedAny = true;
        return Outbox.AddAsync(Connection, Transaction, evt, ct);
    }
}

/// <summary>
/// A consumer that applies each event at most once: the event id is recorded in the inbox in the
/// same transaction as the handler's writes, so a redelivery after a crash or a broker restart is a no-op.
/// </summary>
public abstract class IdempotentConsumer<TEvent>(NpgsqlDataSource dataSource, OutboxSignal outboxSignal) : IConsumer<TEvent>
    where TEvent : IntegrationEvent
{
    public async Task Consume(ConsumeContext<TEvent> context)
    {
        var ct = context.CancellationToken;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var first = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO inbox_messages (event_id, consumer) VALUES (@EventId, @consumer) ON CONFLICT DO NOTHING",
            new { context.Message.EventId, consumer = GetType().Name }, tx, cancellationToken: ct));
        if (first == 0) return;

        var scope = new EventTransaction(connection, tx);
        await HandleAsync(context.Message, scope, ct);
        await tx.CommitAsync(ct);
        if (scope.PublishedAny) outboxSignal.Notify();
        await scope.RunAfterCommitAsync();
    }

    protected abstract Task HandleAsync(TEvent message, EventTransaction transaction, CancellationToken ct);
}
