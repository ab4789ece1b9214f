using System.ComponentModel.DataAnnotations;
using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Extraction.Domain;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Extraction.Data;

/// <summary>Dataset states: queued → building → ready | failed; refused rows record a build the privacy budget did not allow.</summary>
public static class DatasetStatus
{
    public const string Queued = "queued";
    public const string Building = "building";
    public const string Ready = "ready";
    public const string Failed = "failed";
    public const string Refused = "refused";

    /// <summary>States whose ε counts against the budget: the data is, or is about to be, released.</summary>
    public static readonly string[] Charged = [Queued, Building, Ready];
}

public sealed record DatasetRecord
{
    public Guid Id { get; init; }
    public string Domain { get; init; } = "";
    public string Name { get; init; } = "";
    public Guid[] SourceIds { get; init; } = [];
    public double Epsilon { get; init; }
    [AllowedValues(DatasetStatus.Queued, DatasetStatus.Building, DatasetStatus.Ready, DatasetStatus.Failed, DatasetStatus.Refused)]
    public string Status { get; init; } = DatasetStatus.Queued;
    public int? ExampleCount { get; init; }
    public int? Redactions { get; init; }
    public string? Path { get; init; }
    public string? Sha256 { get; init; }
    public string? Error { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

public sealed record PrivacyBudgetView(string Domain, double TotalEpsilon, double SpentEpsilon, double RemainingEpsilon, bool IsDefault);

/// <summary>The result of asking for a build: the row (queued or refused) and the accountant's decision.</summary>
public sealed record DatasetRequestOutcome(DatasetRecord? Dataset, PrivacyDecision? Decision, bool NameTaken);

public sealed class DatasetStore(NpgsqlDataSource db, IOptions<ExtractionOptions> options)
{
    private const string Columns = """
        id, domain, name, source_ids AS SourceIds, epsilon, status, example_count AS ExampleCount, redactions, path, sha256, error,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>
    /// Charges the domain's budget and queues the build, or records the refusal, in one transaction; the
    /// budget row is locked so concurrent requests for one domain are decided one after the other.
    /// </summary>
    public async Task<DatasetRequestOutcome> RequestAsync(string domain, string name, Guid[] sourceIds, double epsilon, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM datasets WHERE name = @name)", new { name }, tx, cancellationToken: ct));
        if (taken) return new DatasetRequestOutcome(null, null, true);

        var budget = await LockBudgetAsync(connection, tx, domain, ct);
        var spent = await connection.QueryAsync<double>(new CommandDefinition(
            "SELECT epsilon FROM datasets WHERE domain = @domain AND status = ANY(@charged)",
            new { domain, charged = DatasetStatus.Charged }, tx, cancellationToken: ct));
        var decision = PrivacyAccountant.Decide(budget, spent, epsilon);

        var id = Guid.CreateVersion7();
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO datasets (id, domain, name, source_ids, epsilon, status, error)
            VALUES (@id, @domain, @name, @sourceIds, @epsilon, @status, @error)
            ON CONFLICT (name) DO NOTHING
            """, new { id, domain, name, sourceIds, epsilon, status = decision.Allowed ? DatasetStatus.Queued : DatasetStatus.Refused, error = decision.Reason },
            tx, cancellationToken: ct));
        if (inserted == 0) return new DatasetRequestOutcome(null, null, true);
        await tx.CommitAsync(ct);
        return new DatasetRequestOutcome(await FindAsync(id, ct), decision, false);
    }

    private async Task<double> LockBudgetAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string domain, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO privacy_budgets (domain, total_epsilon) VALUES (@domain, @total) ON CONFLICT (domain) DO NOTHING",
            new { domain, total = options.Value.DefaultEpsilonBudget }, tx, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<double>(new CommandDefinition(
            "SELECT total_epsilon FROM privacy_budgets WHERE domain = @domain FOR UPDATE", new { domain }, tx, cancellationToken: ct));
    }

    public async Task<PrivacyBudgetView> BudgetAsync(string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<double?>(new CommandDefinition(
            "SELECT total_epsilon FROM privacy_budgets WHERE domain = @domain", new { domain }, cancellationToken: ct));
        var spent = PrivacyAccountant.Compose(await connection.QueryAsync<double>(new CommandDefinition(
            "SELECT epsilon FROM datasets WHERE domain = @domain AND status = ANY(@charged)",
            new { domain, charged = DatasetStatus.Charged }, cancellationToken: ct)));
        var budget = total ?? options.Value.DefaultEpsilonBudget;
        return new PrivacyBudgetView(domain, budget, spent, Math.Max(0, budget - spent), total is null);
    }

    /// <summary>Sets a domain's total ε; refused (false) when it would fall below what is already spent.</summary>
    public async Task<bool> TrySetBudgetAsync(string domain, double totalEpsilon, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockBudgetAsync(connection, tx, domain, ct);
        var spent = PrivacyAccountant.Compose(await connection.QueryAsync<double>(new CommandDefinition(
            "SELECT epsilon FROM datasets WHERE domain = @domain AND status = ANY(@charged)",
            new { domain, charged = DatasetStatus.Charged }, tx, cancellationToken: ct)));
        if (totalEpsilon < spent) return false;
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE privacy_budgets SET total_epsilon = @totalEpsilon, updated_at = now() WHERE domain = @domain",
            new { domain, totalEpsilon }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<DatasetRecord?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DatasetRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM datasets WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DatasetRecord>> ListAsync(string? domain, string? status, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<DatasetRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM datasets WHERE (@domain::text IS NULL OR domain = @domain) AND (@status::text IS NULL OR status = @status) ORDER BY created_at",
            new { domain, status }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>Takes the oldest queued dataset and marks it building; replicas skip rows another holds.</summary>
    public async Task<DatasetRecord?> ClaimNextAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DatasetRecord>(new CommandDefinition($"""
            UPDATE datasets SET status = 'building', updated_at = now()
            WHERE id = (SELECT id FROM datasets WHERE status = 'queued' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {Columns}
            """, cancellationToken: ct));
    }

    /// <summary>Builds interrupted by a restart start over.</summary>
    public async Task<int> RequeueInterruptedAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE datasets SET status = 'queued', updated_at = now() WHERE status = 'building'", cancellationToken: ct));
    }

    /// <summary>Marks the dataset ready and puts DatasetReady in the outbox in the same transaction.</summary>
    public async Task CompleteAsync(DatasetRecord dataset, int exampleCount, int redactions, string path, string sha256, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE datasets SET status = 'ready', example_count = @exampleCount, redactions = @redactions, path = @path, sha256 = @sha256,
                error = NULL, updated_at = now()
            WHERE id = @Id
            """, new { dataset.Id, exampleCount, redactions, path, sha256 }, tx, cancellationToken: ct));
        await Outbox.AddAsync(connection, tx, new DatasetReady(dataset.Id, dataset.Domain, dataset.Name, exampleCount, path, sha256, dataset.Epsilon), ct);
        await tx.CommitAsync(ct);
    }

    public async Task FailAsync(Guid id, string error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE datasets SET status = 'failed', error = @error, updated_at = now() WHERE id = @id", new { id, error }, cancellationToken: ct));
    }
}
