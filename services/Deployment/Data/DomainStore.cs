using Dapper;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

// Rows map by property (Dapper matches constructors only on exact column types, e.g. text[] reads as Array).
public sealed record DomainRecord
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string? AgentId { get; init; }
    public string? Layer { get; init; }
    public string? Team { get; init; }
    public string[] Keywords { get; init; } = [];
    public string? BaseModel { get; init; }
    public int MaxTokens { get; init; }
    public string Status { get; init; } = "active";
    public int Revision { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

public sealed class DomainStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, name, agent_id AS AgentId, layer, team, keywords, base_model AS BaseModel, max_tokens AS MaxTokens,
        status, revision, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Inserts a domain; false when the id is taken.</summary>
    public async Task<bool> TryCreateAsync(DomainRecord domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO domains (id, name, agent_id, layer, team, keywords, base_model, max_tokens)
            VALUES (@Id, @Name, @AgentId, @Layer, @Team, @Keywords, @BaseModel, @MaxTokens)
            ON CONFLICT (id) DO NOTHING
            """, domain, cancellationToken: ct));
        return inserted == 1;
    }

    public async Task<DomainRecord?> FindAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DomainRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM domains WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DomainRecord>> ListAsync(string? status, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<DomainRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM domains WHERE @status::text IS NULL OR status = @status ORDER BY id", new { status }, cancellationToken: ct));
        return rows.AsList();
    }
}
