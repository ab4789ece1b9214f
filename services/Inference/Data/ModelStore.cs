using Dapper;
using DomainPlatform.Inference.Domain;
using Npgsql;

namespace DomainPlatform.Inference.Data;

// Rows map by property (Dapper matches constructors only on exact column types).
public sealed record ConfiguredModelRow
{
    public string Id { get; init; } = "";
    public string Path { get; init; } = "";
    public string Sha256 { get; init; } = "";
    public int GpuLayers { get; init; }
    public int ContextSize { get; init; }
    public int ParallelSlots { get; init; }

    public ModelSpec ToSpec() => new(Id, Path, Sha256, GpuLayers, ContextSize, ParallelSlots);
}

/// <summary>The models loaded through gRPC, so a restart loads them again.</summary>
public sealed class ModelStore(NpgsqlDataSource db)
{
    public async Task SaveAsync(ModelSpec spec, string sha256, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO configured_models (id, path, sha256, gpu_layers, context_size, parallel_slots)
            VALUES (@Id, @Path, @Sha256, @GpuLayers, @ContextSize, @ParallelSlots)
            ON CONFLICT (id) DO UPDATE SET path = EXCLUDED.path, sha256 = EXCLUDED.sha256, gpu_layers = EXCLUDED.gpu_layers,
                context_size = EXCLUDED.context_size, parallel_slots = EXCLUDED.parallel_slots, updated_at = now()
            """, new { spec.Id, spec.Path, Sha256 = sha256, spec.GpuLayers, spec.ContextSize, spec.ParallelSlots }, cancellationToken: ct));
    }

    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM configured_models WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ConfiguredModelRow>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ConfiguredModelRow>(new CommandDefinition("""
            SELECT id, path, sha256, gpu_layers AS GpuLayers, context_size AS ContextSize, parallel_slots AS ParallelSlots
            FROM configured_models ORDER BY id
            """, cancellationToken: ct));
        return rows.AsList();
    }
}
