using Dapper;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

/// <summary>Reads an experiment's current phase, runs the analysis and keeps the sequential tests' running state.</summary>
public sealed class ExperimentAnalyzer(NpgsqlDataSource db, ExperimentStore experiments, MetricStore metrics, TimeProvider clock)
{
    public async Task<(ExperimentRow Experiment, AnalysisResult Result)?> AnalyzeAsync(Guid id, CancellationToken ct)
    {
        if (await experiments.FindAsync(id, ct) is not { } row) return null;
        var rows = await metrics.ForExperimentAsync(id, row.Phase, ct);
        var running = row.StartedAt is { } started ? ((row.EndedAt ?? clock.GetUtcNow().UtcDateTime) - started).TotalSeconds : 0;
        var input = new AnalysisInput(row.Variants, row.PrimaryMetric, row.Guardrails, row.MinimumDetectableEffect, row.Alpha, row.Power,
            row.MinSamples, row.MinDurationSeconds, row.Method, row.Correction, Math.Max(0, running));
        var result = ExperimentAnalysis.Run(input, rows, ExperimentAnalysis.ReadState(row.SequentialStateJson));
        if (row.Phase > 1)
        {
            // After a weight change, the earlier phases still hold evidence; pooled by phase it cannot be biased by the change.
            var byPhase = await metrics.ForExperimentPhasesAsync(id, row.PrimaryMetric, ct);
            result = result with { PooledAcrossPhases = PhasePooling.Combine(row.Variants, row.PrimaryMetric, byPhase, 1 - row.Alpha) };
        }

        if (row.Method == "sequential" && row.Status == ExperimentStatus.Running && result.Decision.SequentialStates.Count > 0)
        {
            // Each analysis is a look. Two concurrent looks may overwrite each other's state; losing a look only keeps the
            // running minimum p-value higher, which errs on the safe side.
            await using var connection = await db.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE experiments SET sequential_state = @state::jsonb WHERE id = @id AND phase = @Phase",
                new { id, state = ExperimentAnalysis.WriteState(result.Decision.SequentialStates), row.Phase }, cancellationToken: ct));
        }
        return (row, result);
    }
}
