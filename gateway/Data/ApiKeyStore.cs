using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.Metrics;
using Dapper;
using DomainPlatform.Gateway.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Gateway.Data;

/// <summary>An API key as listed: never its secret or hash.</summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    public string KeyPrefix { get; init; } = "";
    public DateTime CreatedAt { get; init; }
    public DateTime? RevokedAt { get; init; }
}

/// <summary>
/// API keys in gatewaydb. Lookups by hash are cached in memory for a short while so the hot path does
/// not query Postgres per request; a revocation is immediate on this replica and within
/// <see cref="CacheLifetime"/> on the others. While the database is unreachable, a key found active within
/// <see cref="GatewayOptions.KnownKeysDuringOutage"/> is served from its last good copy; any other lookup fails as the
/// database did (503).
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource, IMemoryCache cache, IOptionsMonitor<GatewayOptions> options, TimeProvider time, IMeterFactory meters)
{
    private readonly ConcurrentDictionary<string, (ApiKeyRecord Record, DateTimeOffset SeenAt)> _lastGood = new();
    private readonly Counter<long> _servedFromLastGood = meters.Create("DomainPlatform.Gateway").CreateCounter<long>(
        "gateway.api_keys.last_good_copy", "{request}", "Requests authenticated from a key's last good copy while gatewaydb was unreachable");

    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(15);
    private const string Columns = "id, name, role, key_prefix AS KeyPrefix, created_at AS CreatedAt, revoked_at AS RevokedAt";

    public async Task<(ApiKeyRecord Record, string Secret)> CreateAsync(string name, string role, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await CreateAsync(connection, null, name, role, ct);
    }

    internal static async Task<(ApiKeyRecord Record, string Secret)> CreateAsync(
        NpgsqlConnection connection, NpgsqlTransaction? tx, string name, string role, CancellationToken ct)
    {
        var key = ApiKeys.Generate();
        var record = await connection.QuerySingleAsync<ApiKeyRecord>(new CommandDefinition($"""
            INSERT INTO api_keys (id, name, role, key_hash, key_prefix) VALUES (@id, @name, @role, @Hash, @Prefix)
            RETURNING {Columns}
            """, new { id = Guid.CreateVersion7(), name, role, key.Hash, key.Prefix }, tx, cancellationToken: ct));
        return (record, key.Secret);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(bool includeRevoked, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE @includeRevoked OR revoked_at IS NULL ORDER BY created_at",
            new { includeRevoked }, cancellationToken: ct));
        return rows.ToList();
    }

    /// <summary>The active key whose secret hashes to <paramref name="hash"/>, or null.</summary>
    public async Task<ApiKeyRecord?> FindActiveAsync(byte[] hash, CancellationToken ct)
    {
        var cacheKey = CacheKey(hash);
        if (cache.TryGetValue(cacheKey, out ApiKeyRecord? cached)) return cached;

        ApiKeyRecord? found;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            found = await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
                $"SELECT {Columns} FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL", new { hash }, cancellationToken: ct));
        }
        catch (DbException ex) when (ex.IsTransient && LastGood(cacheKey) is { } known)
        {
            _servedFromLastGood.Add(1);
            return known;
        }
        cache.Set(cacheKey, found, CacheLifetime);
        if (found is null) _lastGood.TryRemove(cacheKey, out _);
        else _lastGood[cacheKey] = (found, time.GetUtcNow());
        return found;
    }

    /// <summary>The key's last good copy if it was seen active recently enough to be served while the database is away.</summary>
    private ApiKeyRecord? LastGood(string cacheKey) =>
        _lastGood.TryGetValue(cacheKey, out var known) && time.GetUtcNow() - known.SeenAt <= options.CurrentValue.KnownKeysDuringOutage
            ? known.Record
            : null;

    public enum RevokeOutcome { Revoked, NotFound, LastAdmin }

    /// <summary>Revokes a key; the last active admin key stays, or nobody could manage keys again.</summary>
    public async Task<RevokeOutcome> RevokeAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE", transaction: tx, cancellationToken: ct));
        var key = await connection.QuerySingleOrDefaultAsync<KeyState>(new CommandDefinition(
            "SELECT role, key_hash AS KeyHash, revoked_at AS RevokedAt FROM api_keys WHERE id = @id", new { id }, tx, cancellationToken: ct));
        if (key is null) return RevokeOutcome.NotFound;
        if (key.RevokedAt is null && key.Role == Roles.Admin)
        {
            var admins = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL", transaction: tx, cancellationToken: ct));
            if (admins <= 1) return RevokeOutcome.LastAdmin;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = @id", new { id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        cache.Remove(CacheKey(key.KeyHash));
        _lastGood.TryRemove(CacheKey(key.KeyHash), out _);
        return RevokeOutcome.Revoked;
    }

    private sealed class KeyState
    {
        public string Role { get; init; } = "";
        public byte[] KeyHash { get; init; } = [];
        public DateTime? RevokedAt { get; init; }
    }

    private static string CacheKey(byte[] hash) => "apikey:" + Convert.ToHexString(hash);
}
