using System.Text.Json;
using Dapper;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

// Rows map by property (Dapper matches constructors only on exact column types); jsonb columns read as text.
public sealed record ExperimentRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Domain { get; init; } = "";
    public string Status { get; init; } = ExperimentStatus.Draft;
    public string VariantsJson { get; init; } = "[]";
    public string PrimaryMetric { get; init; } = "";
    public string GuardrailsJson { get; init; } = "[]";
    public double MinimumDetectableEffect { get; init; }
    public double Alpha { get; init; }
    public double Power { get; init; }
    public long MinSamples { get; init; }
    public long MinDurationSeconds { get; init; }
    public string Method { get; init; } = "";
    public string Correction { get; init; } = "";
    public bool DeployWinner { get; init; }
    public bool StopOnGuardrail { get; init; }
    public int Phase { get; init; }
    public string? SequentialStateJson { get; init; }
    public string? Outcome { get; init; }
    public string? WinnerVariant { get; init; }
    public string? Reason { get; init; }
    public int Revision { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? EndedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public IReadOnlyList<Variant> Variants => JsonSerializer.Deserialize<Variant[]>(VariantsJson, JsonSerializerOptions.Web) ?? [];

    public IReadOnlyList<Guardrail> Guardrails => JsonSerializer.Deserialize<Guardrail[]>(GuardrailsJson, JsonSerializerOptions.Web) ?? [];
}

public sealed class ExperimentStore(NpgsqlDataSource db)
{
    internal const string Columns = """
        id, name, domain, status, variants::text AS VariantsJson, primary_metric AS PrimaryMetric,
        guardrail_metrics::text AS GuardrailsJson, minimum_detectable_effect AS MinimumDetectableEffect, alpha, power,
        min_samples AS MinSamples, min_duration_seconds AS MinDurationSeconds, method, correction,
        deploy_winner AS DeployWinner, stop_on_guardrail AS StopOnGuardrail, phase,
        sequential_state::text AS SequentialStateJson, outcome, winner_variant AS WinnerVariant, reason, revision,
        created_at AS CreatedAt, started_at AS StartedAt, ended_at AS EndedAt, updated_at AS UpdatedAt
        """;

    public async Task<ExperimentRow?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ExperimentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM experiments WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ExperimentRow>> ListAsync(string? status, string? domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ExperimentRow>(new CommandDefinition($"""
            SELECT {Columns} FROM experiments
            WHERE (@status::text IS NULL OR status = @status) AND (@domain::text IS NULL OR domain = @domain)
            ORDER BY created_at DESC
            """, new { status, domain }, cancellationToken: ct));
        return rows.AsList();
    }
}
