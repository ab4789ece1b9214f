using Dapper;
using DomainPlatform.Extraction.Domain;
using Npgsql;

namespace DomainPlatform.Extraction.Data;

public sealed record SourceRecord
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Content { get; init; } = "";
    public string? Description { get; init; }
    /// <summary>The domain the source belongs to, or null when no profile matched.</summary>
    public string? Domain { get; init; }
    /// <summary>"detected" (keyword scoring) or "manual" (named in the request).</summary>
    public string? DomainOrigin { get; init; }
    public double? DomainScore { get; init; }
    public string? RunnerUp { get; init; }
    public double? RunnerUpScore { get; init; }
    public DateTime CreatedAt { get; init; }
}

public sealed class SourceStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, name, kind, content, description, domain, domain_origin AS DomainOrigin, domain_score AS DomainScore,
        runner_up AS RunnerUp, runner_up_score AS RunnerUpScore, created_at AS CreatedAt
        """;

    /// <summary>Inserts a source; false when the name is taken.</summary>
    public async Task<bool> TryCreateAsync(SourceRecord source, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sources (id, name, kind, content, description, domain, domain_origin, domain_score, runner_up, runner_up_score)
            VALUES (@Id, @Name, @Kind, @Content, @Description, @Domain, @DomainOrigin, @DomainScore, @RunnerUp, @RunnerUpScore)
            ON CONFLICT (name) DO NOTHING
            """, source, cancellationToken: ct));
        return inserted == 1;
    }

    public async Task<SourceRecord?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<SourceRecord>> ListAsync(string? domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE @domain::text IS NULL OR domain = @domain ORDER BY created_at, name",
            new { domain }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<SourceRecord>> FindManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE id = ANY(@ids) ORDER BY created_at, name", new { ids = ids.ToArray() }, cancellationToken: ct));
        return rows.AsList();
    }

    public static SourceMaterial ToMaterial(SourceRecord source) => new(source.Name, source.Kind, source.Content, source.Description);
}
