using System.Diagnostics;
using Dapper;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.Protos.Experimentation;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// Drives running canaries: for each rollout whose step has run its minimum duration it takes a lease (so no
/// other replica analyses it meanwhile), asks experimentation's CanaryAnalysis.Analyze for candidate versus
/// baseline over the step's window, and applies the state machine's decision. All state is in Postgres, so a restarted replica
/// resumes every rollout at the step it had reached.
/// </summary>
public sealed partial class RolloutController(
    NpgsqlDataSource db,
    DeploymentService deployments,
    TrafficRates rates,
    CanaryAnalysis.CanaryAnalysisClient analysis,
    TimeProvider clock,
    IOptions<DeploymentOptions> options,
    ILogger<RolloutController> logger) : PollingController(clock, options)
{
    /// <summary>This replica's name in lease rows.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Guid.NewGuid():N}";

    /// <summary>One pass over the rollouts that are due; returns how many decisions it recorded.</summary>
    public override async Task<int> TickAsync(CancellationToken ct)
    {
        var decided = 0;
        foreach (var domain in await ScheduledRollbacksDueAsync(ct))
        {
            try
            {
                if (await deployments.RunScheduledRollbackAsync(domain, ct)) decided++;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogScheduledFailed(domain, ex.Message);
            }
        }
        foreach (var id in await PlannedRollbacksDueAsync(ct))
        {
            try
            {
                if (await deployments.StepPlannedRollbackAsync(id, ct) is not null) decided++;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogRolloutFailed(id, ex.Message);
            }
        }
        foreach (var id in await AcquireDueAsync(ct))
        {
            try
            {
                if (await DecideAsync(id, ct)) decided++;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // One rollout that cannot be decided (a reply the database refuses, a bad row) must not starve the others.
                LogRolloutFailed(id, ex.Message);
            }
        }
        return decided;
    }

    private async Task<bool> DecideAsync(Guid id, CancellationToken ct)
    {
        var rollout = await deployments.GetRolloutAsync(id, ct);
        if (rollout is null || !CanaryStateMachine.IsDue(rollout.Policy, rollout.State, Clock.GetUtcNow().UtcDateTime)) return false;
        using var span = RolloutTelemetry.StartStep(rollout);
        if (await AnalyzeAsync(rollout, ct) is not { } outcome) return false;
        var (reply, samples, thresholds) = outcome;
        RolloutTelemetry.RecordAnalysis(span, reply);
        var verdict = CanaryStateMachine.ParseVerdict(reply.Verdict);
        var now = Clock.GetUtcNow().UtcDateTime;
        var figures = AnalysisFigure.From(reply.Metrics);
        // Beyond the verdict: an emergency (critical figures, or too many failed checks in a row) sends all traffic back now.
        var check = RollbackRules.Check(figures.Select(f => f.ToCheck()).ToList(), rollout.MinSamples, thresholds.MaxErrorRateIncrease, rollout.FailedChecks);
        // A rollback verdict keeps the analysis' reason (an emergency when the figures are critical).
        var transition = check.Emergency is { } emergency && verdict != AnalysisVerdict.Rollback
            ? CanaryStateMachine.RollBackNow(rollout.Policy, rollout.State, now, $"emergency rollback: {emergency}")
            : CanaryStateMachine.OnVerdict(rollout.Policy, rollout.State, verdict, samples, now, string.IsNullOrWhiteSpace(reply.Reason) ? reply.Verdict : reply.Reason);
        RolloutTelemetry.RecordDecision(span, transition.Decision, check.Emergency is not null);
        var record = new AnalysisRecord(reply.Verdict, reply.Reason, figures);
        // A new step gets its duration estimate from the domain's recent traffic, read before the transaction opens.
        var traffic = DeploymentService.StartsPhase(transition) ? await rates.ReadAsync(rollout.Domain, ct) : null;
        return await deployments.ApplyVerdictAsync(rollout, transition, record, Owner, ct, traffic,
            check.Emergency is null ? null : Contracts.Events.RollbackTypes.Emergency, check.FailedInRow) is not null;
    }

    /// <summary>Domains whose scheduled rollback of the stable version is due.</summary>
    private async Task<IReadOnlyList<string>> ScheduledRollbacksDueAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT domain_id FROM scheduled_rollbacks WHERE at <= @now ORDER BY at LIMIT 20", new { now = Clock.GetUtcNow().UtcDateTime }, cancellationToken: ct))).AsList();
    }

    /// <summary>Active rollouts whose planned rollback (gradual, or at a time) has a step due.</summary>
    private async Task<IReadOnlyList<Guid>> PlannedRollbacksDueAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition("""
            SELECT id FROM rollouts WHERE status IN ('Running', 'Paused') AND rollback_due_at <= @now ORDER BY rollback_due_at LIMIT 20
            """, new { now = Clock.GetUtcNow().UtcDateTime }, cancellationToken: ct))).AsList();
    }

    /// <summary>Leases the running rollouts whose step is old enough to be analysed and that no live lease holds.</summary>
    private async Task<IReadOnlyList<Guid>> AcquireDueAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var now = Clock.GetUtcNow().UtcDateTime;
        var ids = await connection.QueryAsync<Guid>(new CommandDefinition("""
            UPDATE rollouts SET lease_owner = @Owner, lease_expires_at = @now + make_interval(secs => @lease)
            WHERE id IN (
                SELECT id FROM rollouts
                WHERE status = 'Running'
                  AND step_started_at + make_interval(secs => min_step_seconds) <= @now
                  -- A rollback under way (gradual) is not to be undone by the analysis; one waiting for its time is not under way yet.
                  AND (rollback_plan IS NULL OR NOT COALESCE((rollback_plan->>'begun')::boolean, false))
                  AND (lease_owner IS NULL OR lease_expires_at < @now OR lease_owner = @Owner)
                ORDER BY updated_at LIMIT 20
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, new { Owner, now, lease = Options.Value.RolloutLease.TotalSeconds }, cancellationToken: ct));
        return ids.AsList();
    }

    private async Task<(AnalyzeReply Reply, long CandidateSamples, RollbackThresholds Thresholds)?> AnalyzeAsync(RolloutView rollout, CancellationToken ct)
    {
        var thresholds = await ThresholdsOfAsync(db, rollout.Domain, ct);
        var request = new AnalyzeRequest
        {
            Domain = rollout.Domain,
            BaselineVersion = rollout.BaselineVersion,
            CandidateVersion = rollout.CandidateVersion,
            // The domain's limits, with the rollout's own minSamples: the step and the analysis need the same samples a side.
            Thresholds = ThresholdsFor(thresholds, rollout.MinSamples),
            PhaseStartedAtUnixMs = new DateTimeOffset(rollout.State.StepStartedAt).ToUnixTimeMilliseconds(),
        };
        // No metric named: experimentation then judges all it knows, accuracy only once the candidate has feedback.
        // Naming accuracy would require feedback, and a domain whose users send none would hold at its first step forever.
        try
        {
            var reply = await analysis.AnalyzeAsync(request, deadline: DateTime.UtcNow + Options.Value.AnalysisTimeout, cancellationToken: ct);
            var samples = reply.Metrics.Count == 0 ? 0 : reply.Metrics.Min(m => m.CandidateSamples);
            return (reply, samples, thresholds);
        }
        catch (RpcException ex)
        {
            // Without an analysis the step stays where it is; the lease expires and the next pass asks again.
            LogAnalysisFailed(rollout.Id, ex.Status.StatusCode, ex.Status.Detail);
            RolloutTelemetry.RecordNoAnalysis(Activity.Current, $"analysis failed: {ex.Status.StatusCode} {ex.Status.Detail}");
            return null;
        }
    }

    /// <summary>The domain's limits as the analysis takes them, with the samples a side it needs.</summary>
    internal static Thresholds ThresholdsFor(RollbackThresholds thresholds, long minSamples) => new()
    {
        MaxAccuracyDrop = thresholds.MaxAccuracyDrop,
        MaxLatencyRatio = thresholds.MaxLatencyRatio,
        MaxErrorRateIncrease = thresholds.MaxErrorRateIncrease,
        MaxErrorRate = thresholds.MaxErrorRate,
        // Rollouts stored before minSamples had to be at least 2 are held to the analysis' own minimum.
        MinSamples = (int)Math.Clamp(minSamples, RolloutPolicy.MinimumSamples, int.MaxValue),
    };

    internal static async Task<RollbackThresholds> ThresholdsOfAsync(NpgsqlDataSource db, string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var json = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT rollback::text FROM domains WHERE id = @domain", new { domain }, cancellationToken: ct));
        return Json.Deserialize<RollbackThresholds>(json);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout controller pass failed: {Reason}")]
    private partial void LogTickFailed(string reason);

    protected override void OnTickFailed(string reason) => LogTickFailed(reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The scheduled rollback of {Domain} could not be made in this pass: {Reason}")]
    private partial void LogScheduledFailed(string domain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout {RolloutId} could not be decided in this pass: {Reason}")]
    private partial void LogRolloutFailed(Guid rolloutId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Canary analysis of rollout {RolloutId} failed: {Code} {Detail}")]
    private partial void LogAnalysisFailed(Guid rolloutId, StatusCode code, string detail);
}
