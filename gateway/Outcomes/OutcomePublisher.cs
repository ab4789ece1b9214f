using System.Diagnostics.Metrics;
using System.Threading.Channels;
using DomainPlatform.Assignment;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using Npgsql;
using StackExchange.Redis;

namespace DomainPlatform.Gateway.Outcomes;

/// <summary>
/// Takes request outcomes without making the response wait: a bounded in-memory channel, drained in
/// batches into the outbox (one statement and one transaction per batch). The request's domain and variant are also kept
/// in Redis for a day so feedback quoting the request id can name them.
/// </summary>
public sealed partial class OutcomePublisher(
    NpgsqlDataSource dataSource, OutboxSignal signal, IConnectionMultiplexer redis, AssignmentKeyHasher keyHasher, IMeterFactory meters,
    ILogger<OutcomePublisher> logger)
    : BackgroundService
{
    public const int Capacity = 10_000;
    public const int BatchSize = 500;
    public static readonly TimeSpan RequestMemory = TimeSpan.FromDays(1);

    private readonly Channel<InferenceCompleted> _pending = Channel.CreateBounded<InferenceCompleted>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Counter<long> _dropped = meters.Create("DomainPlatform.Gateway").CreateCounter<long>(
        "gateway.outcomes.dropped", description: "Outcome events dropped because the queue to the outbox was full");

    /// <summary>Never blocks: when the queue is full the event is dropped and counted.</summary>
    public void Enqueue(InferenceCompleted outcome)
    {
        if (!_pending.Writer.TryWrite(outcome)) _dropped.Add(1);
    }

    /// <summary>The assignment key as the event carries it: keyed with the platform secret, never the key itself.</summary>
    public string HashKey(string assignmentKey) => keyHasher.Hash(assignmentKey);

    public static RedisKey RequestKey(string requestId) => "request:" + requestId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<InferenceCompleted>(BatchSize);
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < BatchSize && _pending.Reader.TryRead(out var outcome)) batch.Add(outcome);
                await WriteWithRetryAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is written below, best effort.
        }

        while (_pending.Reader.TryRead(out var rest)) batch.Add(rest);
        if (batch.Count > 0) await WriteAsync(batch, CancellationToken.None);
    }

    private async Task WriteWithRetryAsync(List<InferenceCompleted> batch, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch, ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
            {
                LogWriteFailed(batch.Count, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt)), ct);
            }
        }
    }

    private async Task WriteAsync(List<InferenceCompleted> batch, CancellationToken ct)
    {
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Outbox.AddManyAsync(connection, tx, batch, ct);
            await tx.CommitAsync(ct);
        }
        signal.Notify();

        try
        {
            var db = redis.GetDatabase();
            await Task.WhenAll(batch.Where(o => o.Domain.Length > 0).Select(o =>
                db.StringSetAsync(RequestKey(o.RequestId), o.Domain + "\n" + o.Variant, RequestMemory)));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Only feedback enrichment depends on this; the events themselves are safely in the outbox.
            LogRedisFailed(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} outcome events to the outbox failed (attempt {Attempt}): {Reason}")]
    private partial void LogWriteFailed(int count, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Remembering request routes in Redis failed: {Reason}")]
    private partial void LogRedisFailed(string reason);
}
