using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

public sealed class RoutingStore(NpgsqlDataSource db, OutboxSignal outboxSignal)
{
    public static Task CountDecisionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string domain, double? latencyMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO routing_stats AS s (domain, decisions, latency_count, latency_sum) VALUES (@domain, 1, @n, @sum)
            ON CONFLICT (domain) DO UPDATE SET decisions = s.decisions + 1, latency_count = s.latency_count + EXCLUDED.latency_count,
                latency_sum = s.latency_sum + EXCLUDED.latency_sum, updated_at = now()
            """, new { domain, n = latencyMs is null ? 0 : 1, sum = latencyMs ?? 0 }, tx, cancellationToken: ct));

    public static Task AddRewardAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string domain, double score, double reward, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO routing_stats AS s (domain, reward_count, reward_sum, accuracy_count, accuracy_sum) VALUES (@domain, 1, @reward, 1, @score)
            ON CONFLICT (domain) DO UPDATE SET reward_count = s.reward_count + 1, reward_sum = s.reward_sum + EXCLUDED.reward_sum,
                accuracy_count = s.accuracy_count + 1, accuracy_sum = s.accuracy_sum + EXCLUDED.accuracy_sum, updated_at = now()
            """, new { domain, score, reward }, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<RoutingStats>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<RoutingStats>(new CommandDefinition("""
            SELECT domain, decisions, reward_count AS RewardCount, reward_sum AS RewardSum, accuracy_count AS AccuracyCount,
                   accuracy_sum AS AccuracySum, latency_count AS LatencyCount, latency_sum AS LatencySum
            FROM routing_stats ORDER BY domain
            """, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task PublishAsync(IReadOnlyDictionary<string, double> weights, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Outbox.AddAsync(connection, tx, new RoutingWeightsUpdated(weights), ct);
        await tx.CommitAsync(ct);
        outboxSignal.Notify();
    }
}
