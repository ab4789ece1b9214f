using Dapper;
using DomainPlatform.Contracts;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

/// <summary>
/// One transaction: state changes, audit rows and outbox events commit together; work that must wait for
/// the commit (cache invalidation, unloading a drained model) runs after it.
/// </summary>
public sealed class UnitOfWork : IAsyncDisposable
{
    private readonly List<Func<Task>> _afterCommit = [];
    private readonly EventTransaction? _joined;
    private readonly OutboxSignal? _signal;
    private bool _published;

    private UnitOfWork(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxSignal? signal, EventTransaction? joined)
    {
        Connection = connection;
        Transaction = transaction;
        _signal = signal;
        _joined = joined;
    }

    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }

    public static async Task<UnitOfWork> BeginAsync(NpgsqlDataSource db, OutboxSignal signal, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        var transaction = await connection.BeginTransactionAsync(ct);
        return new UnitOfWork(connection, transaction, signal, null);
    }

    /// <summary>Works inside a consumer's inbox transaction, which the consumer base commits (then signals the outbox and runs the after-commit work).</summary>
    public static UnitOfWork Join(EventTransaction transaction) =>
        new(transaction.Connection, transaction.Transaction, null, transaction);

    public Task PublishAsync(IntegrationEvent evt, CancellationToken ct)
    {
        _published = true;
        return _joined is not null ? _joined.PublishAsync(evt, ct) : Outbox.AddAsync(Connection, Transaction, evt, ct);
    }

    public void AfterCommit(Func<Task> action)
    {
        if (_joined is not null) _joined.AfterCommit(action);
        else _afterCommit.Add(action);
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        if (_joined is not null) throw new InvalidOperationException("A joined unit of work is committed by its consumer.");
        await Transaction.CommitAsync(ct);
        if (_published) _signal?.Notify();
        await RunAfterCommitAsync();
    }

    private async Task RunAfterCommitAsync()
    {
        foreach (var action in _afterCommit) await action();
        _afterCommit.Clear();
    }

    public Task<int> ExecuteAsync(string sql, object? args, CancellationToken ct) =>
        Connection.ExecuteAsync(new CommandDefinition(sql, args, Transaction, cancellationToken: ct));

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken ct) =>
        (await Connection.QueryAsync<T>(new CommandDefinition(sql, args, Transaction, cancellationToken: ct))).AsList();

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken ct) =>
        Connection.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, args, Transaction, cancellationToken: ct));

    public Task<T> ExecuteScalarAsync<T>(string sql, object? args, CancellationToken ct) =>
        Connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, args, Transaction, cancellationToken: ct))!;

    public async ValueTask DisposeAsync()
    {
        if (_joined is not null) return;
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
