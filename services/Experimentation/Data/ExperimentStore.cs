using System.Text.Json;
using Dapper;
using DomainPlatform.Contracts;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
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
    public string CriteriaJson { get; init; } = "{}";
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
    public ExperimentCriteria Criteria => JsonSerializer.Deserialize<ExperimentCriteria>(CriteriaJson, JsonSerializerOptions.Web) ?? new();
}

public sealed record PhaseRow
{
    public int Number { get; init; }
    public double[] Weights { get; init; } = [];
    public string Reason { get; init; } = "";
    public DateTime StartedAt { get; init; }
    public DateTime? EndedAt { get; init; }
}

public sealed record HistoryRow
{
    public long Sequence { get; init; }
    public string Action { get; init; } = "";
    public string Detail { get; init; } = "";
    public DateTime At { get; init; }
}

/// <summary>
/// What an action does to an experiment. New <see cref="Variants"/> on a running experiment start a new analysis
/// phase; every change of status or weights also tells the gateway (ExperimentTrafficChanged) in the same transaction.
/// </summary>
public sealed record ExperimentChange(string Action, string Detail)
{
    public string? Status { get; init; }
    public IReadOnlyList<Variant>? Variants { get; init; }
    public string? Outcome { get; init; }
    public string? Winner { get; init; }
    public string? Reason { get; init; }
    /// <summary>The sequential test state to keep for the current phase (analysis looks).</summary>
    public string? SequentialStateJson { get; init; }
    public IReadOnlyList<IntegrationEvent> Events { get; init; } = [];
}

/// <summary>Either the change to apply or why the action is refused in the experiment's present state.</summary>
public readonly record struct ChangeDecision(ExperimentChange? Change, string? Refusal)
{
    public static implicit operator ChangeDecision(ExperimentChange change) => new(change, null);

    public static ChangeDecision Refuse(string why) => new(null, why);
}

public enum MutationStatus { Done, NotFound, Refused }

public sealed record MutationResult(MutationStatus Status, ExperimentRow? Experiment, string? Refusal);

public sealed class ExperimentStore(NpgsqlDataSource db, OutboxSignal outboxSignal)
{
    internal const string Columns = """
        id, name, domain, status, variants::text AS VariantsJson, primary_metric AS PrimaryMetric,
        guardrail_metrics::text AS GuardrailsJson, minimum_detectable_effect AS MinimumDetectableEffect, alpha, power,
        min_samples AS MinSamples, min_duration_seconds AS MinDurationSeconds, method, correction,
        deploy_winner AS DeployWinner, stop_on_guardrail AS StopOnGuardrail, criteria::text AS CriteriaJson, phase,
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

    public async Task<ExperimentRow> CreateAsync(ExperimentDesignSpec spec, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO experiments (id, name, domain, variants, primary_metric, guardrail_metrics, minimum_detectable_effect, alpha,
                power, min_samples, min_duration_seconds, method, correction, deploy_winner, stop_on_guardrail, criteria)
            VALUES (@id, @Name, @Domain, @variants::jsonb, @PrimaryMetric, @guardrails::jsonb, @MinimumDetectableEffect, @Alpha,
                @Power, @MinSamples, @MinDurationSeconds, @Method, @Correction, @DeployWinner, @StopOnGuardrail, @criteria::jsonb)
            """, new
        {
            id, spec.Name, spec.Domain, variants = Json(spec.Variants), spec.PrimaryMetric, guardrails = Json(spec.Guardrails),
            spec.MinimumDetectableEffect, spec.Alpha, spec.Power, spec.MinSamples, spec.MinDurationSeconds, spec.Method, spec.Correction,
            spec.DeployWinner, spec.StopOnGuardrail, criteria = Json(spec.Criteria),
        }, tx, cancellationToken: ct));
        await AddHistoryAsync(connection, tx, id, "created", $"{spec.Variants.Count} variants, primary metric {spec.PrimaryMetric}, {spec.Method}", ct);
        await tx.CommitAsync(ct);
        return (await FindAsync(id, ct))!;
    }

    /// <summary>
    /// Applies <paramref name="decide"/>'s change under a row lock, with history, phases and events in one transaction.
    /// </summary>
    public async Task<MutationResult> MutateAsync(Guid id, Func<ExperimentRow, DateTime, ChangeDecision> decide, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ExperimentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM experiments WHERE id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct));
        if (row is null) return new MutationResult(MutationStatus.NotFound, null, null);

        var now = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("SELECT now()", transaction: tx, cancellationToken: ct));
        var decision = decide(row, now);
        if (decision.Change is not { } change) return new MutationResult(MutationStatus.Refused, row, decision.Refusal);

        var status = change.Status ?? row.Status;
        var variants = change.Variants ?? row.Variants;
        var starting = status == ExperimentStatus.Running && row.Status != ExperimentStatus.Running;
        var reweighted = change.Variants is not null && row.Status == ExperimentStatus.Running;
        var ending = ExperimentStatus.IsEnded(status) && !ExperimentStatus.IsEnded(row.Status);
        var phase = row.Phase;
        if (starting || reweighted)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE experiment_phases SET ended_at = @now WHERE experiment_id = @id AND ended_at IS NULL", new { id, now }, tx, cancellationToken: ct));
            phase++;
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO experiment_phases (experiment_id, number, weights, reason, started_at) VALUES (@id, @phase, @weights, @reason, @now)
                """, new { id, phase, weights = variants.Select(v => v.Weight).ToArray(), reason = change.Detail, now }, tx, cancellationToken: ct));
        }
        if (ending)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE experiment_phases SET ended_at = @now WHERE experiment_id = @id AND ended_at IS NULL", new { id, now }, tx, cancellationToken: ct));
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE experiments SET status = @status, variants = @variants::jsonb, phase = @phase,
                    sequential_state = CASE WHEN @newPhase THEN NULL WHEN @sequential::jsonb IS NULL THEN sequential_state ELSE @sequential::jsonb END,
                    outcome = COALESCE(@Outcome, outcome), winner_variant = COALESCE(@Winner, winner_variant), reason = COALESCE(@Reason, reason),
                    started_at = CASE WHEN @starting THEN @now ELSE started_at END,
                    ended_at = CASE WHEN @ending THEN @now ELSE ended_at END,
                    revision = revision + 1, updated_at = @now
                WHERE id = @id
                """, new
            {
                id, status, variants = Json(variants), phase, newPhase = starting || reweighted, sequential = change.SequentialStateJson,
                change.Outcome, change.Winner, change.Reason, starting, ending, now,
            }, tx, cancellationToken: ct));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return new MutationResult(MutationStatus.Refused, row, $"Another experiment is already running in domain '{row.Domain}'; stop it first.");
        }

        await AddHistoryAsync(connection, tx, id, change.Action, change.Detail, ct);
        var publish = change.Events.ToList();
        if (starting || reweighted || ending)
        {
            publish.Add(new ExperimentTrafficChanged(id, row.Domain, status, phase,
                variants.Select(v => new ExperimentVariantWeight(v.Name, v.ModelVersion, v.Weight)).ToArray()));
        }
        foreach (var evt in publish) await Outbox.AddAsync(connection, tx, evt, ct);
        foreach (var alert in publish.OfType<AlertRaised>()) await AlertStore.RecordAsync(connection, tx, alert, null, ct);
        await tx.CommitAsync(ct);
        if (publish.Count > 0) outboxSignal.Notify();
        return new MutationResult(MutationStatus.Done, await FindAsync(id, ct), null);
    }

    public async Task<IReadOnlyList<PhaseRow>> PhasesAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<PhaseRow>(new CommandDefinition("""
            SELECT number, weights, reason, started_at AS StartedAt, ended_at AS EndedAt
            FROM experiment_phases WHERE experiment_id = @id ORDER BY number
            """, new { id }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<HistoryRow>> HistoryAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<HistoryRow>(new CommandDefinition(
            "SELECT sequence, action, detail, at FROM experiment_history WHERE experiment_id = @id ORDER BY sequence", new { id }, cancellationToken: ct));
        return rows.AsList();
    }

    private static Task AddHistoryAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid id, string action, string detail, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO experiment_history (experiment_id, action, detail) VALUES (@id, @action, @detail)", new { id, action, detail }, tx, cancellationToken: ct));

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, JsonSerializerOptions.Web);
}
