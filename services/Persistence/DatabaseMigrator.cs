using System.Reflection;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DomainPlatform.Persistence;

/// <summary>
/// Creates the service database when missing and applies pending migrations before the service
/// accepts requests. Idempotent; safe when several replicas start at once.
/// </summary>
internal sealed partial class DatabaseMigrator(
    DatabaseOptions options, IEnumerable<MigrationSource> sources, ILogger<DatabaseMigrator> logger) : IHostedService
{
    // Any constant works: it only has to be the same for every replica of every service.
    private const long MigrationLockKey = 0x0D0_3A1_0001;
    private static readonly TimeSpan StartupBudget = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartupBudget;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await EnsureDatabaseExistsAsync(cancellationToken);
                await ApplyMigrationsAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (ex is not PostgresException && DateTime.UtcNow < deadline)
            {
                // Transport errors at start-up mean the server is not up yet: wait for it rather than crash.
                LogWaiting(attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task EnsureDatabaseExistsAsync(CancellationToken ct)
    {
        var target = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        var database = target.Database ?? throw new InvalidOperationException(
            $"Connection string '{options.ConnectionName}' names no Database.");
        var admin = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Database = "postgres", Pooling = false };

        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(
            new CommandDefinition("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @database)", new { database }, cancellationToken: ct));
        if (exists) return;

        try
        {
            await connection.ExecuteAsync(new CommandDefinition($"CREATE DATABASE {QuoteIdentifier(database)}", cancellationToken: ct));
            LogCreated(database);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another replica created it between our check and our CREATE: that is the outcome we wanted.
        }
    }

    private async Task ApplyMigrationsAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(options.ConnectionString);
        await connection.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = MigrationLockKey }, cancellationToken: ct));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken: ct));
            var applied = (await connection.QueryAsync<string>(new CommandDefinition("SELECT id FROM schema_migrations", cancellationToken: ct))).ToHashSet();

            foreach (var migration in MigrationScripts.Discover(sources.Select(s => s.Assembly).Distinct()))
            {
                if (applied.Contains(migration.Id)) continue;
                await using var tx = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: tx, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (id) VALUES (@id)", new { id = migration.Id }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                LogApplied(migration.Id);
            }
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = MigrationLockKey });
        }
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Postgres not reachable yet (attempt {Attempt}): {Reason}")]
    private partial void LogWaiting(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created database {Database}")]
    private partial void LogCreated(string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    private partial void LogApplied(string migration);
}

/// <summary>SQL migrations embedded as resources named <c>*.Migrations.*.sql</c>.</summary>
public static class MigrationScripts
{
    public sealed record Script(string Id, string Sql);

    public static IReadOnlyList<Script> Discover(IEnumerable<Assembly> assemblies) =>
        assemblies.SelectMany(assembly => assembly.GetManifestResourceNames()
                .Where(name => name.Contains(".Migrations.", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(name => new Script(IdOf(assembly, name), Read(assembly, name))))
            .ToList();

    private static string IdOf(Assembly assembly, string resource) =>
        assembly.GetName().Name + ":" + resource[(resource.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
