using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.Deployment.Rollouts;
using DomainPlatform.EventBus;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

public sealed record DeploymentView
{
    public string Domain { get; init; } = "";
    public string? StableVersion { get; init; }
    public string? CanaryVersion { get; init; }
    public double CanaryWeight { get; init; }
    public Guid? RolloutId { get; init; }
    public DateTime UpdatedAt { get; init; }
    /// <summary>The watch of the latest promotion (running or how it ended); null when none was started.</summary>
    public WatchView? Watch { get; init; }
    /// <summary>The domain's latest rollback, with its type and reason; null when it never rolled back.</summary>
    public RollbackView? LastRollback { get; init; }
    /// <summary>A rollback of the stable version planned for a time; null when none is.</summary>
    public ScheduledRollbackView? ScheduledRollback { get; init; }
}

public sealed record RolloutView
{
    public Guid Id { get; init; }
    public string Domain { get; init; } = "";
    public string BaselineVersion { get; init; } = "";
    public string CandidateVersion { get; init; } = "";
    public double[] Steps { get; init; } = [];
    public double MinStepSeconds { get; init; }
    public long MinSamples { get; init; }
    public RolloutStatus Status { get; init; }
    public int StepIndex { get; init; }
    public double WeightPercent { get; init; }
    /// <summary>The weight an operator set by hand, replacing the step's planned one until the rollout moves on; null on plan.</summary>
    public double? ManualWeight { get; init; }
    /// <summary>How long the current step is expected to take from the domain's recent traffic; null when no rate is known.</summary>
    public double? EstimatedStepSeconds { get; init; }
    /// <summary>How the estimate was made, or why there is none.</summary>
    public string EstimateReason { get; init; } = "";
    /// <summary>Set when the step is expected to take more than an hour, with what would shorten it.</summary>
    public string? EstimateWarning { get; init; }
    public DateTime StepStartedAt { get; init; }
    public string LastReason { get; init; } = "";
    public int Version { get; init; }
    public string StartedBy { get; init; } = "";
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public IReadOnlyList<RolloutDecisionView> Decisions { get; init; } = [];
    /// <summary>Checks in a row whose figures were beyond the domain's limits (5 are an emergency); 0 at each new phase.</summary>
    public int FailedChecks { get; init; }
    /// <summary>The kind of rollback that ended the rollout (emergency, automatic, gradual, manual, scheduled); null otherwise.</summary>
    public string? RollbackType { get; init; }
    /// <summary>A rollback an operator asked for that is under way (gradual) or waits for its time (scheduled); null when none.</summary>
    public RollbackPlan? PendingRollback => RollbackPlanJson is { Length: > 0 } json ? System.Text.Json.JsonSerializer.Deserialize<RollbackPlan>(json, Json.Options) : null;

    [System.Text.Json.Serialization.JsonIgnore]
    public string? RollbackPlanJson { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public RolloutPolicy Policy => new(Steps, TimeSpan.FromSeconds(MinStepSeconds), MinSamples);
    [System.Text.Json.Serialization.JsonIgnore]
    public RolloutState State => new(Status, StepIndex, DateTime.SpecifyKind(StepStartedAt, DateTimeKind.Utc), ManualWeight);
}

public sealed record RolloutDecisionView
{
    public long Id { get; init; }
    public string Action { get; init; } = "";
    public string? Verdict { get; init; }
    public int FromStep { get; init; }
    public int ToStep { get; init; }
    public double FromWeight { get; init; }
    public double ToWeight { get; init; }
    public string Reason { get; init; } = "";
    public System.Text.Json.JsonElement? Figures { get; init; }
    public string Actor { get; init; } = "";
    public DateTime DecidedAt { get; init; }
}

public sealed record StartRolloutCommand(string Domain, string? Version, IReadOnlyList<double>? Steps, double? MinStepSeconds, long? MinSamples, double? FirstWeight = null);

/// <summary>The figures an analysis gave, recorded with the decision they led to.</summary>
public sealed record AnalysisRecord(string Verdict, string Reason, object Figures);

/// <summary>What serves each domain, and every move of traffic: direct deployment, rollback to a version, rollouts.</summary>
public sealed partial class DeploymentService(
    NpgsqlDataSource db, OutboxSignal signal, DomainCache cache, InferenceControl inference, ModelDrain drain, TrafficRates rates, TimeProvider clock,
    IOptions<DeploymentOptions> options, ILogger<DeploymentService> logger)
{
    private const string RolloutColumns = """
        id, domain_id AS Domain, baseline_version AS BaselineVersion, candidate_version AS CandidateVersion, steps,
        min_step_seconds AS MinStepSeconds, min_samples AS MinSamples, status, step_index AS StepIndex, step_started_at AS StepStartedAt,
        manual_weight AS ManualWeight, estimated_step_seconds AS EstimatedStepSeconds, estimate_reason AS EstimateReason, estimate_warning AS EstimateWarning,
        last_reason AS LastReason, version, started_by AS StartedBy, created_at AS CreatedAt, updated_at AS UpdatedAt,
        failed_checks AS FailedChecks, rollback_type AS RollbackType, rollback_plan::text AS RollbackPlanJson
        """;

    public async Task<DeploymentView?> GetAsync(string domain, CancellationToken ct)
    {
        DeploymentView? view;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            view = await connection.QuerySingleOrDefaultAsync<DeploymentView>(new CommandDefinition("""
                SELECT domain_id AS Domain, stable_version AS StableVersion, canary_version AS CanaryVersion, canary_weight AS CanaryWeight,
                       rollout_id AS RolloutId, updated_at AS UpdatedAt
                FROM deployments WHERE domain_id = @domain
                """, new { domain }, cancellationToken: ct));
        }
        return view is null ? null : await WithWatchAsync(view, ct);
    }

    private async Task<DeploymentView> WithWatchAsync(DeploymentView view, CancellationToken ct) => view with
    {
        Watch = await PromotionWatches.FindAsync(db, view.Domain, ct),
        LastRollback = (await PromotionWatches.RollbacksAsync(db, view.Domain, 1, ct)).FirstOrDefault(),
        ScheduledRollback = await PromotionWatches.ScheduledAsync(db, view.Domain, ct),
    };

    /// <summary>
    /// Plans a rollback of the domain's stable version to <paramref name="version"/> at <paramref name="at"/> (type
    /// scheduled); at that time it is made as <c>POST /rollback</c> would, and refused then for the same reasons. One
    /// per domain: a new plan replaces the one before (audited).
    /// </summary>
    public async Task<DeploymentView> ScheduleRollbackAsync(string domain, string? version, string? reason, DateTimeOffset at, string actor, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(version)) errors["version"] = ["The version to roll back to is required."];
        if (string.IsNullOrWhiteSpace(reason)) errors["reason"] = ["A rollback needs a reason."];
        if (at <= clock.GetUtcNow()) errors["at"] = ["A scheduled rollback is at a time in the future (ISO 8601 with an offset, e.g. 2026-12-01T22:00:00Z); leave it out to roll back now."];
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        await DomainService.RequireAsync(uow, domain, ct);
        await VersionRegistry.RequireAsync(uow, domain, version!, ct);
        var current = await FindAsync(uow, domain, ct);
        if (current?.StableVersion is null) throw DeploymentProblem.Conflict("Nothing to roll back", $"'{domain}' has no stable version to roll back from.");
        if (current.StableVersion == version) throw DeploymentProblem.Conflict("Already deployed", $"'{domain}' already serves {version}.");
        var before = await PromotionWatches.ScheduledAsync(uow, domain, ct);
        await uow.ExecuteAsync("""
            INSERT INTO scheduled_rollbacks (domain_id, version, reason, actor, at) VALUES (@domain, @version, @reason, @actor, @at)
            ON CONFLICT (domain_id) DO UPDATE SET version = EXCLUDED.version, reason = EXCLUDED.reason, actor = EXCLUDED.actor, at = EXCLUDED.at, created_at = now()
            """, new { domain, version, reason = reason!.Trim(), actor, at = at.UtcDateTime }, ct);
        var planned = await PromotionWatches.ScheduledAsync(uow, domain, ct);
        await AuditLog.WriteAsync(uow, actor, "deployment", domain, "rollback-scheduled", before, planned, ct, $"scheduled rollback to {version} at {at.UtcDateTime:O}: {reason!.Trim()}");
        await uow.CommitAsync(ct);
        return (await GetAsync(domain, ct))!;
    }

    /// <summary>Makes the domain's scheduled rollback once its time has come (any replica; the row lock makes it once).</summary>
    public async Task<bool> RunScheduledRollbackAsync(string domain, CancellationToken ct)
    {
        ScheduledRollbackView plan;
        string refusal;
        await using (var uow = await UnitOfWork.BeginAsync(db, signal, ct))
        {
            var due = await uow.QuerySingleOrDefaultAsync<ScheduledRollbackView>(
                "SELECT version, reason, actor, at, created_at AS CreatedAt FROM scheduled_rollbacks WHERE domain_id = @domain FOR UPDATE SKIP LOCKED", new { domain }, ct);
            if (due is null || DateTime.SpecifyKind(due.At, DateTimeKind.Utc) > clock.GetUtcNow().UtcDateTime) return false;
            plan = due;
            await uow.ExecuteAsync("DELETE FROM scheduled_rollbacks WHERE domain_id = @domain", new { domain }, ct);
            try
            {
                await SetStableAsync(uow, domain, plan.Version, $"scheduled rollback: {plan.Reason}", plan.Actor, ct, RollbackTypes.Scheduled);
                await uow.CommitAsync(ct);
                return true;
            }
            catch (DeploymentProblem problem)
            {
                refusal = problem.Message;
                LogScheduledRollbackRefused(domain, plan.Version, refusal);
            }
        }
        // Refused at its time (a rollout runs, the version already serves): dropped, and the operator sees why.
        await using var refused = await UnitOfWork.BeginAsync(db, signal, ct);
        await refused.ExecuteAsync("DELETE FROM scheduled_rollbacks WHERE domain_id = @domain AND created_at = @CreatedAt", new { domain, plan.CreatedAt }, ct);
        await AuditLog.WriteAsync(refused, plan.Actor, "deployment", domain, "rollback-refused", plan, null, ct, $"scheduled rollback to {plan.Version} refused: {refusal}");
        await refused.CommitAsync(ct);
        return false;
    }

    /// <summary>Cancels the domain's scheduled rollback (audited); 404 when none is planned.</summary>
    public async Task<DeploymentView> CancelScheduledRollbackAsync(string domain, string actor, CancellationToken ct)
    {
        await using (var uow = await UnitOfWork.BeginAsync(db, signal, ct))
        {
            var plan = await PromotionWatches.ScheduledAsync(uow, domain, ct)
                ?? throw DeploymentProblem.NotFound("Scheduled rollback", $"No rollback of '{domain}' is scheduled.");
            await uow.ExecuteAsync("DELETE FROM scheduled_rollbacks WHERE domain_id = @domain", new { domain }, ct);
            await AuditLog.WriteAsync(uow, actor, "deployment", domain, "rollback-cancelled", plan, null, ct, $"scheduled rollback to {plan.Version} cancelled");
            await uow.CommitAsync(ct);
        }
        return (await GetAsync(domain, ct))!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled rollback of {Domain} to {Version} refused at its time: {Reason}")]
    private partial void LogScheduledRollbackRefused(string domain, string version, string reason);

    /// <summary>The domain's rollbacks, newest first, with their types and reasons.</summary>
    public Task<IReadOnlyList<RollbackView>> RollbacksAsync(string domain, int limit, CancellationToken ct) => PromotionWatches.RollbacksAsync(db, domain, limit, ct);

    public async Task<IReadOnlyList<DeploymentView>> ListAsync(CancellationToken ct)
    {
        List<DeploymentView> rows;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            rows = (await connection.QueryAsync<DeploymentView>(new CommandDefinition("""
                SELECT domain_id AS Domain, stable_version AS StableVersion, canary_version AS CanaryVersion, canary_weight AS CanaryWeight,
                       rollout_id AS RolloutId, updated_at AS UpdatedAt
                FROM deployments ORDER BY domain_id
                """, cancellationToken: ct))).AsList();
        }
        var views = new List<DeploymentView>(rows.Count);
        foreach (var row in rows) views.Add(await WithWatchAsync(row, ct));
        return views;
    }

    /// <summary>
    /// Puts a version on 100% of a domain's traffic at once: the first deployment, or a rollback to an earlier
    /// version (<paramref name="rollbackReason"/> set). Refused while a rollout runs.
    /// </summary>
    public async Task<DeploymentView> SetStableAsync(string domain, string? version, string? rollbackReason, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(version)) throw DeploymentProblem.Invalid("version", "The version to deploy is required.");
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var result = await SetStableAsync(uow, domain, version, rollbackReason, actor, ct);
        await uow.CommitAsync(ct);
        return await WithWatchAsync(result, ct);
    }

    /// <summary>
    /// A version on 100% at once. A deployment starts the post-promotion watch against the stable it replaces (see
    /// <see cref="PromotionWatch"/>; <paramref name="how"/> says how it became stable); a rollback (of
    /// <paramref name="rollbackType"/>, manual when null) ends any watch and is recorded and published with its type.
    /// </summary>
    public async Task<DeploymentView> SetStableAsync(
        UnitOfWork uow, string domain, string version, string? rollbackReason, string actor, CancellationToken ct, string? rollbackType = null, string? how = null)
    {
        return await SetStableAsync(uow, domain, version, rollbackReason, actor, ct, rollbackType, how, endWatch: true);
    }

    /// <param name="endWatch">False when the watch itself rolls back: it records its own end.</param>
    private async Task<DeploymentView> SetStableAsync(
        UnitOfWork uow, string domain, string version, string? rollbackReason, string actor, CancellationToken ct, string? rollbackType, string? how, bool endWatch)
    {
        var owner = await DomainService.RequireAsync(uow, domain, ct);
        if (owner.Status != DomainService.Active) throw DeploymentProblem.Conflict("Domain is archived", $"'{domain}' is archived and serves nothing.");
        if (await ActiveRolloutAsync(uow, domain, ct) is { } running)
        {
            throw DeploymentProblem.Conflict("Rollout in progress", $"Rollout {running} of '{domain}' is running: abort it first.");
        }
        var target = await VersionRegistry.RequireAsync(uow, domain, version, ct);
        var before = await FindAsync(uow, domain, ct);
        if (before?.StableVersion == version) throw DeploymentProblem.Conflict("Already deployed", $"'{domain}' already serves {version}.");
        if (rollbackReason is not null && before?.StableVersion is null)
        {
            throw DeploymentProblem.Conflict("Nothing to roll back", $"'{domain}' has no stable version to roll back from.");
        }

        var servedBefore = await RouteTables.ServedVersionsAsync(uow, domain, ct);
        await inference.LoadAsync(target, ct);
        await ReleaseRolledBackExperimentAsync(uow, domain, ct);
        await uow.ExecuteAsync("""
            INSERT INTO deployments (domain_id, stable_version, canary_version, canary_weight, rollout_id) VALUES (@domain, @version, NULL, 0, NULL)
            ON CONFLICT (domain_id) DO UPDATE SET stable_version = EXCLUDED.stable_version, canary_version = NULL, canary_weight = 0, rollout_id = NULL, updated_at = now()
            """, new { domain, version }, ct);
        await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Stable, version, ct);
        var after = (await FindAsync(uow, domain, ct))!;
        await AuditLog.WriteAsync(uow, actor, "deployment", domain, rollbackReason is null ? "deploy" : "rollback", before, after, ct, rollbackReason);
        await uow.PublishAsync(new ModelDeployed(domain, version, AliasRules.Stable, 100), ct);
        if (rollbackReason is not null)
        {
            if (endWatch) await PromotionWatches.EndAsync(uow, domain, $"rolled back to {version}", actor, ct);
            await PromotionWatches.RecordRollbackAsync(uow,
                new RollbackPerformed(domain, before!.StableVersion!, version, rollbackReason, null, rollbackType ?? RollbackTypes.Manual), actor, ct);
        }
        else
        {
            await PromotionWatches.StartAsync(uow, domain, version, before?.StableVersion, owner.Config.Rollback, how ?? "a direct deployment", actor,
                clock.GetUtcNow().UtcDateTime, ct);
        }
        await RouteTables.PublishAsync(uow, cache, ct);
        foreach (var drained in ExperimentRouting.Drained(servedBefore, await RouteTables.ServedVersionsAsync(uow, domain, ct)))
        {
            uow.AfterCommit(() => drain.ScheduleAsync(domain, drained));
        }
        return after;
    }

    public async Task<RolloutView> StartRolloutAsync(StartRolloutCommand command, string actor, CancellationToken ct)
    {
        // The traffic reading is a remote call: made before the transaction opens.
        var traffic = await rates.ReadAsync(command.Domain, ct);
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var rollout = await StartRolloutAsync(uow, command, actor, traffic, ct);
        await uow.CommitAsync(ct);
        return rollout;
    }

    /// <summary>What a step estimate starts from: the domain's recent traffic (never fails; unknown with the reason).</summary>
    public Task<TrafficReading> ReadTrafficAsync(string domain, CancellationToken ct) => rates.ReadAsync(domain, ct);

    /// <summary>
    /// Starts a canary: inference loads the candidate before the first step's traffic moves to it. Settings follow
    /// <see cref="RolloutSettings"/> (the rollout's own, else the domain's defaults, else the platform's).
    /// </summary>
    public async Task<RolloutView> StartRolloutAsync(UnitOfWork uow, StartRolloutCommand command, string actor, TrafficReading traffic, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(command.Version)) throw DeploymentProblem.Invalid("version", "The candidate version is required.");
        var domain = await DomainService.RequireAsync(uow, command.Domain, ct);
        var (settings, errors) = RolloutSettings.Resolve(
            new RolloutRequestSettings(command.Steps, command.MinStepSeconds, command.MinSamples, command.FirstWeight), domain.Config, options.Value.DefaultMinStepDuration);
        if (settings is null) throw DeploymentProblem.Invalid(errors);
        var steps = settings.Steps;
        if (domain.Status != DomainService.Active) throw DeploymentProblem.Conflict("Domain is archived", $"'{domain.Id}' is archived and serves nothing.");
        if (await ActiveRolloutAsync(uow, domain.Id, ct) is { } running)
        {
            throw DeploymentProblem.Conflict("Rollout in progress", $"Rollout {running} of '{domain.Id}' is already running.");
        }
        var candidate = await VersionRegistry.RequireAsync(uow, domain.Id, command.Version, ct);
        var before = await FindAsync(uow, domain.Id, ct);
        if (before?.StableVersion is not { } stable)
        {
            throw DeploymentProblem.Conflict("No stable version", $"'{domain.Id}' serves no stable version to compare a canary with: deploy one first.");
        }
        if (stable == candidate.Version) throw DeploymentProblem.Conflict("Already stable", $"{candidate.Version} is already the stable version of '{domain.Id}'.");

        await inference.LoadAsync(candidate, ct);
        await ReleaseRolledBackExperimentAsync(uow, domain.Id, ct);
        var id = Guid.CreateVersion7();
        // The stable becomes a rollout's baseline: the rollout's own analysis watches from here on.
        await PromotionWatches.EndAsync(uow, domain.Id, $"rollout {id} of {candidate.Version} started", actor, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var estimate = StepEstimator.Estimate(traffic, steps[0], settings.MinSamples, TimeSpan.FromSeconds(settings.MinStepSeconds));
        var started = $"started: {settings.Describe()}";
        await uow.ExecuteAsync("""
            INSERT INTO rollouts (id, domain_id, baseline_version, candidate_version, steps, min_step_seconds, min_samples, status, step_index, step_started_at,
                                  estimated_step_seconds, estimate_reason, estimate_warning, last_reason, started_by)
            VALUES (@id, @domain, @stable, @candidate, @steps, @minStepSeconds, @minSamples, 'Running', 0, @now,
                    @Seconds, @Reason, @Warning, @started, @actor)
            """, new
        {
            id, domain = domain.Id, stable, candidate = candidate.Version, steps = steps.ToArray(), settings.MinStepSeconds, settings.MinSamples, now,
            estimate.Seconds, estimate.Reason, estimate.Warning, started, actor,
        }, ct);
        await uow.ExecuteAsync("""
            UPDATE deployments SET canary_version = @candidate, canary_weight = @weight, rollout_id = @id, updated_at = now() WHERE domain_id = @domain
            """, new { domain = domain.Id, candidate = candidate.Version, weight = steps[0], id }, ct);
        await VersionRegistry.SetManagedAliasAsync(uow, domain.Id, AliasRules.Canary, candidate.Version, ct);
        await InsertDecisionAsync(uow, id, new RolloutDecision(RolloutAction.Advance, 0, 0, 0, steps[0], started), null, actor, ct);
        var rollout = (await FindRolloutAsync(uow, id, lockRow: false, ct))!;
        await AuditLog.WriteAsync(uow, actor, "rollout", id.ToString(), "start", before, rollout, ct, started);
        await WarnWhenSlowAsync(uow, rollout, actor, ct);
        await uow.PublishAsync(new ModelDeployed(domain.Id, candidate.Version, AliasRules.Canary, steps[0]), ct);
        await RouteTables.PublishAsync(uow, cache, ct);
        return rollout;
    }

    public enum ManualCommand { Promote, Pause, Resume, Abort, SetWeight }

    public async Task<RolloutView> CommandAsync(Guid id, ManualCommand command, string? reason, string actor, CancellationToken ct, double? weight = null)
    {
        if (command == ManualCommand.SetWeight)
        {
            if (weight is not { } w) throw DeploymentProblem.Invalid("weight", "The canary's new weight is required, as a percentage (e.g. 25).");
            if (RolloutPolicy.WeightRefusal(w) is { } refusal) throw DeploymentProblem.Invalid("weight", refusal);
        }
        // A command that starts a new step needs the domain's traffic for its estimate: read before the transaction opens.
        TrafficReading? traffic = null;
        if (command is ManualCommand.Promote or ManualCommand.Resume or ManualCommand.SetWeight && await GetRolloutAsync(id, ct) is { } read)
        {
            traffic = await rates.ReadAsync(read.Domain, ct);
        }
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var rollout = await FindRolloutAsync(uow, id, lockRow: true, ct) ?? throw DeploymentProblem.NotFound("Rollout", $"No rollout has the id {id}.");
        var why = string.IsNullOrWhiteSpace(reason) ? $"by {actor}" : reason;
        var now = clock.GetUtcNow().UtcDateTime;
        RolloutTransition transition;
        try
        {
            transition = command switch
            {
                ManualCommand.Promote => CanaryStateMachine.Promote(rollout.Policy, rollout.State, now, why),
                ManualCommand.Pause => CanaryStateMachine.Pause(rollout.Policy, rollout.State, why),
                ManualCommand.Resume => CanaryStateMachine.Resume(rollout.Policy, rollout.State, now, why),
                ManualCommand.SetWeight => CanaryStateMachine.SetWeight(rollout.Policy, rollout.State, weight!.Value, now, why),
                _ => CanaryStateMachine.Abort(rollout.Policy, rollout.State, now, why),
            };
        }
        catch (InvalidRolloutTransitionException ex)
        {
            throw DeploymentProblem.Conflict("Rollout cannot do that now", ex.Message);
        }
        var after = await ApplyAsync(uow, rollout, transition, null, actor, traffic, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    /// <summary>
    /// Applies a transition computed from <paramref name="rollout"/> as read; refused (null) when the rollout has
    /// moved since (its version changed), so a step is never advanced twice.
    /// </summary>
    public async Task<RolloutView?> ApplyVerdictAsync(
        RolloutView rollout, RolloutTransition transition, AnalysisRecord analysis, string leaseOwner, CancellationToken ct, TrafficReading? traffic = null,
        string? rollbackType = null, int? failedChecks = null)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var current = await FindRolloutAsync(uow, rollout.Id, lockRow: true, ct);
        if (current is null || current.Version != rollout.Version) return null;
        var owner = await uow.ExecuteScalarAsync<string?>("SELECT lease_owner FROM rollouts WHERE id = @Id", new { rollout.Id }, ct);
        if (owner != leaseOwner) return null;
        var after = await ApplyAsync(uow, current, transition, analysis, AuditLog.System, traffic, ct, rollbackType, failedChecks);
        await uow.CommitAsync(ct);
        return after;
    }

    /// <summary>
    /// An operator's rollback of a rollout: immediate (all traffic back now) or gradual (the weight lowered in equal steps
    /// to 0, one every stepSeconds), now (type manual) or at a given time (type scheduled). While a gradual rollback
    /// runs the analysis no longer moves the canary; until a scheduled one's time the rollout goes on as before.
    /// </summary>
    public async Task<RolloutView> RollBackAsync(Guid id, string? reason, string? speed, int? steps, double? stepSeconds, DateTimeOffset? at, string actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (RollbackRules.ValidateManual(reason, speed, steps, stepSeconds, at, now) is { Count: > 0 } errors) throw DeploymentProblem.Invalid(errors);
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var rollout = await FindRolloutAsync(uow, id, lockRow: true, ct) ?? throw DeploymentProblem.NotFound("Rollout", $"No rollout has the id {id}.");
        if (!rollout.State.IsActive) throw DeploymentProblem.Conflict("Rollout cannot do that now", $"A {rollout.Status} rollout has nothing to roll back.");
        if (rollout.PendingRollback is { } pending)
        {
            throw DeploymentProblem.Conflict("Rollback already planned", $"A {pending.Type} rollback of this rollout is already planned ({pending.Reason}).");
        }
        var gradual = string.Equals(speed?.Trim(), "gradual", StringComparison.OrdinalIgnoreCase);
        var weights = gradual ? RollbackRules.GradualWeights(rollout.WeightPercent, steps ?? 3) : [0.0];
        var plan = new RollbackPlan(at is null ? RollbackTypes.Manual : RollbackTypes.Scheduled, weights, stepSeconds ?? 60,
            (at ?? now).UtcDateTime, reason!.Trim(), actor, Begun: false);
        RolloutView after;
        if (plan.IsDue(now.UtcDateTime))
        {
            after = await StepPlanAsync(uow, rollout, plan, now.UtcDateTime, ct);
        }
        else
        {
            await SavePlanAsync(uow, rollout.Id, plan, bumpVersion: true, ct);
            after = (await FindRolloutAsync(uow, rollout.Id, lockRow: false, ct))!;
            await AuditLog.WriteAsync(uow, actor, "rollout", rollout.Id.ToString(), "rollback-scheduled", rollout with { Decisions = [] }, after, ct,
                $"scheduled rollback at {plan.NextAt:O}: {plan.Reason}");
        }
        await uow.CommitAsync(ct);
        return after;
    }

    /// <summary>Takes the next step of the rollout's planned rollback when it is due (any replica; the row lock makes it once).</summary>
    public async Task<RolloutView?> StepPlannedRollbackAsync(Guid id, CancellationToken ct)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var rollout = await FindRolloutAsync(uow, id, lockRow: true, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (rollout is not { State.IsActive: true, PendingRollback: { } plan } || !plan.IsDue(now)) return null;
        var after = await StepPlanAsync(uow, rollout, plan, now, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    private async Task<RolloutView> StepPlanAsync(UnitOfWork uow, RolloutView rollout, RollbackPlan plan, DateTime now, CancellationToken ct)
    {
        var (weight, rest) = plan.Take(now);
        // The canary may have gone lower meanwhile (a WARNING): a step that would raise it is skipped, the last one is 0.
        if (weight >= rollout.WeightPercent) weight = rest is null ? 0 : rollout.WeightPercent;
        var label = plan.Type == RollbackTypes.Scheduled ? "scheduled rollback" : "manual rollback";
        if (weight >= rollout.WeightPercent)
        {
            await SavePlanAsync(uow, rollout.Id, rest, bumpVersion: true, ct);
            return (await FindRolloutAsync(uow, rollout.Id, lockRow: false, ct))!;
        }
        var transition = CanaryStateMachine.ToWeight(rollout.Policy, rollout.State, weight, now, $"{label}: {plan.Reason}");
        return await ApplyAsync(uow, rollout, transition, null, plan.Actor, null, ct, plan.Type, plan: rest, setPlan: true);
    }

    private static Task SavePlanAsync(UnitOfWork uow, Guid id, RollbackPlan? plan, bool bumpVersion, CancellationToken ct) =>
        uow.ExecuteAsync($"""
            UPDATE rollouts SET rollback_plan = @plan::jsonb, rollback_due_at = @due{(bumpVersion ? ", version = version + 1, updated_at = now()" : "")} WHERE id = @id
            """, new { id, plan = plan is null ? null : Json.Serialize(plan), due = plan?.NextAt }, ct);

    /// <summary>
    /// An alert about a model version (AlertRaised, consumed idempotently): CRITICAL or EMERGENCY about a rollout's
    /// canary sends all its traffic back at once (emergency); WARNING lowers its weight one planned step (gradual; from
    /// the first step to 0). CRITICAL or EMERGENCY about a stable version under its post-promotion watch rolls back to the
    /// previous stable (emergency). Anything else changes nothing. Returns whether it acted and what it did or why not.
    /// </summary>
    public async Task<(bool Acted, string Outcome)> OnAlertAsync(UnitOfWork uow, AlertRaised alert, CancellationToken ct)
    {
        // Experimentation stops or rolls back an experiment itself; its alerts are the news of that.
        if (alert.ExperimentId is not null) return (false, "an experiment's alert: experimentation acts on its experiments itself");
        if (alert.Domain is not { } domain || alert.ModelVersion is not { } version) return (false, "the alert names no domain and model version");
        // Every level is remembered (INFO too: back to normal), newest first by when it was raised.
        await uow.ExecuteAsync("""
            INSERT INTO alert_levels (domain_id, model_version, metric, level, occurred_at) VALUES (@domain, @version, @Metric, @Level, @OccurredAt)
            ON CONFLICT (domain_id, model_version, metric) DO UPDATE SET level = EXCLUDED.level, occurred_at = EXCLUDED.occurred_at
            WHERE alert_levels.occurred_at <= EXCLUDED.occurred_at
            """, new { domain, version, alert.Metric, Level = alert.Level.Trim().ToUpperInvariant(), alert.OccurredAt }, ct);
        if (RollbackRules.TypeForAlert(alert.Level) is not { } type) return (false, $"a {alert.Level} alert moves no traffic");
        var actor = $"alert:{alert.AlertId}";
        var why = $"{alert.Level} alert: {alert.Message}";
        var now = clock.GetUtcNow().UtcDateTime;
        if (await ActiveRolloutAsync(uow, domain, ct) is { } rolloutId
            && await FindRolloutAsync(uow, rolloutId, lockRow: true, ct) is { } rollout && rollout.CandidateVersion == version)
        {
            if (await AsBadAsync(uow, domain, rollout.BaselineVersion, alert, ct) is { } same) return (false, same);
            var transition = type == RollbackTypes.Emergency
                ? CanaryStateMachine.RollBackNow(rollout.Policy, rollout.State, now, $"emergency rollback: {why}")
                : CanaryStateMachine.StepDown(rollout.Policy, rollout.State, now, $"gradual rollback: {why}");
            var after = await ApplyAsync(uow, rollout, transition, null, actor, null, ct, type);
            return (true, $"rollout {rollout.Id}: {after.LastReason}");
        }
        var watch = await PromotionWatches.FindAsync(uow, domain, lockRow: true, ct);
        if (watch is { State.IsWatching: true } && watch.Version == version)
        {
            if (type != RollbackTypes.Emergency) return (false, $"{version} is the stable version under watch: a warning moves none of its traffic, the watch's checks judge it");
            if (await AsBadAsync(uow, domain, watch.PreviousVersion, alert, ct) is { } same) return (false, same);
            var decision = PromotionWatch.RollBackNow(watch.State, RollbackTypes.Emergency, $"emergency rollback after promotion of {version}: {why}");
            return await RollBackWatchedAsync(uow, domain, watch, decision, null, actor, ct)
                ? (true, $"watch of {version}: {decision.Reason}")
                : (false, $"{version} no longer serves alone: nothing to roll back");
        }
        return (false, $"{version} is neither the canary of a running rollout of '{domain}' nor a stable version under its post-promotion watch");
    }

    /// <summary>
    /// Why going back to <paramref name="target"/> would not help (its last alert on the metric is at the same level or
    /// worse), or null: a canary failing as often as its stable is no reason to roll it back.
    /// </summary>
    private static async Task<string?> AsBadAsync(UnitOfWork uow, string domain, string target, AlertRaised alert, CancellationToken ct)
    {
        var level = await uow.QuerySingleOrDefaultAsync<string?>(
            "SELECT level FROM alert_levels WHERE domain_id = @domain AND model_version = @target AND metric = @Metric", new { domain, target, alert.Metric }, ct);
        return level is not null && RollbackRules.LevelRank(level) >= RollbackRules.LevelRank(alert.Level)
            ? $"{target}, where the traffic would go back, is at {level} on {alert.Metric} too: rolling back would not help"
            : null;
    }

    /// <summary>
    /// Applies a check of a post-promotion watch computed from <paramref name="read"/>; refused (false) when the watch has
    /// changed since or this replica lost its lease. A rollback that deployment cannot make (inference cannot load the
    /// previous version) keeps the watch going with the reason, and the next check tries again.
    /// </summary>
    public async Task<bool> ApplyWatchCheckAsync(string domain, WatchView read, WatchDecision decision, object figures, string leaseOwner, CancellationToken ct)
    {
        string failure;
        await using (var uow = await UnitOfWork.BeginAsync(db, signal, ct))
        {
            var current = await PromotionWatches.FindAsync(uow, domain, lockRow: true, ct);
            if (current is null || current.Revision != read.Revision) return false;
            var owner = await uow.ExecuteScalarAsync<string?>("SELECT lease_owner FROM promotion_watches WHERE domain_id = @domain", new { domain }, ct);
            if (owner != leaseOwner) return false;
            try
            {
                if (decision.Action == WatchAction.RollBack)
                {
                    await RollBackWatchedAsync(uow, domain, current, decision, figures, AuditLog.System, ct);
                }
                else
                {
                    await PromotionWatches.SaveAsync(uow, domain, decision.Next, figures, ct);
                    if (decision.Action == WatchAction.Pass)
                    {
                        await AuditLog.WriteAsync(uow, AuditLog.System, PromotionWatches.EntityType, domain, "pass", current with { Figures = null }, decision.Next, ct, decision.Reason);
                    }
                }
                await uow.CommitAsync(ct);
                return true;
            }
            catch (DeploymentProblem problem)
            {
                LogWatchRollbackRefused(domain, read.Version, problem.Message);
                failure = problem.Message;
            }
        }
        await using var retry = await UnitOfWork.BeginAsync(db, signal, ct);
        var kept = read.State with { LastReason = $"{decision.Reason}; the rollback to {read.PreviousVersion} could not be made ({failure}), tried again at the next check",
            LastCheckedAt = clock.GetUtcNow().UtcDateTime, FailedChecks = decision.Next.FailedChecks, LastVerdict = decision.Next.LastVerdict };
        await PromotionWatches.SaveAsync(retry, domain, kept, figures, ct);
        await AuditLog.WriteAsync(retry, AuditLog.System, PromotionWatches.EntityType, domain, "rollback-refused", null, kept, ct, failure);
        await retry.CommitAsync(ct);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Post-promotion rollback of {Domain} {Version} could not be made: {Reason}")]
    private partial void LogWatchRollbackRefused(string domain, string version, string reason);

    /// <summary>The watched version degraded: back to the previous stable at once, the watch closed as rolled back.</summary>
    private async Task<bool> RollBackWatchedAsync(UnitOfWork uow, string domain, WatchView watch, WatchDecision decision, object? figures, string actor, CancellationToken ct)
    {
        var deployed = await FindAsync(uow, domain, ct);
        if (deployed?.StableVersion != watch.Version || await ActiveRolloutAsync(uow, domain, ct) is not null)
        {
            // Traffic moved some other way first; the watch has nothing left to roll back.
            await PromotionWatches.SaveAsync(uow, domain, PromotionWatch.End(watch.State, $"{watch.Version} no longer serves alone"), figures, ct);
            return false;
        }
        await SetStableAsync(uow, domain, watch.PreviousVersion, decision.Reason, actor, ct, decision.RollbackType ?? RollbackTypes.Automatic, null, endWatch: false);
        await PromotionWatches.SaveAsync(uow, domain, decision.Next, figures, ct);
        await AuditLog.WriteAsync(uow, actor, PromotionWatches.EntityType, domain, "rollback", watch with { Figures = null }, decision.Next, ct, decision.Reason);
        return true;
    }

    /// <summary>Whether a transition begins a new analysis phase of a rollout that goes on: a new step, a weight set by hand, a resume.</summary>
    public static bool StartsPhase(RolloutTransition transition) =>
        transition.Next.IsActive && transition.Decision.Action is RolloutAction.Advance or RolloutAction.SetWeight or RolloutAction.Resume or RolloutAction.StepDown;

    /// <param name="rollbackType">The kind of rollback when the transition ends the rollout so (default: automatic for an analysis' rollback, manual for an abort).</param>
    /// <param name="failedChecks">The failed checks in a row after this analysis (null: unchanged; a new phase starts from 0).</param>
    /// <param name="setPlan">Whether <paramref name="plan"/> replaces the rollout's planned rollback (a finished rollout has none).</param>
    private async Task<RolloutView> ApplyAsync(
        UnitOfWork uow, RolloutView rollout, RolloutTransition transition, AnalysisRecord? analysis, string actor, TrafficReading? traffic, CancellationToken ct,
        string? rollbackType = null, int? failedChecks = null, RollbackPlan? plan = null, bool setPlan = false)
    {
        var (next, decision) = transition;
        var type = next.Status switch
        {
            RolloutStatus.RolledBack => rollbackType ?? RollbackTypes.Automatic,
            RolloutStatus.Aborted => rollbackType ?? RollbackTypes.Manual,
            _ => null,
        };
        await uow.ExecuteAsync("""
            UPDATE rollouts SET status = @Status, step_index = @StepIndex, step_started_at = @StepStartedAt, manual_weight = @ManualWeight, last_reason = @Reason,
                failed_checks = CASE WHEN @phase THEN 0 ELSE COALESCE(@failedChecks, failed_checks) END, rollback_type = @type,
                version = version + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id = @Id
            """, new
        {
            rollout.Id, Status = next.Status.ToString(), next.StepIndex, next.StepStartedAt, next.ManualWeight, decision.Reason,
            phase = StartsPhase(transition), failedChecks, type,
        }, ct);
        if (!next.IsActive) await SavePlanAsync(uow, rollout.Id, null, bumpVersion: false, ct);
        else if (setPlan) await SavePlanAsync(uow, rollout.Id, plan, bumpVersion: false, ct);
        var estimated = false;
        if (StartsPhase(transition))
        {
            // Every step, and every weight the operator sets, gets its own estimate from the domain's recent traffic.
            var estimate = StepEstimator.Estimate(traffic ?? TrafficReading.None("not read for this change"), decision.ToWeight, rollout.MinSamples, rollout.Policy.MinStepDuration);
            await uow.ExecuteAsync("""
                UPDATE rollouts SET estimated_step_seconds = @Seconds, estimate_reason = @Reason, estimate_warning = @Warning WHERE id = @Id
                """, new { rollout.Id, estimate.Seconds, estimate.Reason, estimate.Warning }, ct);
            estimated = true;
        }
        var recorded = await InsertDecisionAsync(uow, rollout.Id, decision, analysis, actor, ct);

        var domain = rollout.Domain;
        if (analysis is not null)
        {
            await uow.PublishAsync(new CanaryVerdict(rollout.Id, domain, rollout.BaselineVersion, rollout.CandidateVersion, analysis.Verdict, analysis.Reason), ct);
        }
        if (decision.MovesTraffic)
        {
            var before = await FindAsync(uow, domain, ct);
            switch (next.Status)
            {
                case RolloutStatus.Succeeded:
                    await uow.ExecuteAsync("""
                        UPDATE deployments SET stable_version = @CandidateVersion, canary_version = NULL, canary_weight = 0, rollout_id = NULL, updated_at = now()
                        WHERE domain_id = @Domain
                        """, new { rollout.Domain, rollout.CandidateVersion }, ct);
                    await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Stable, rollout.CandidateVersion, ct);
                    await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Canary, null, ct);
                    await uow.PublishAsync(new ModelDeployed(domain, rollout.CandidateVersion, AliasRules.Stable, 100), ct);
                    await PromotionWatches.StartAsync(uow, domain, rollout.CandidateVersion, rollout.BaselineVersion,
                        (await DomainService.RequireAsync(uow, domain, ct)).Config.Rollback, $"rollout {rollout.Id}", actor, clock.GetUtcNow().UtcDateTime, ct);
                    await UnloadWhenUnservedAsync(uow, domain, rollout.BaselineVersion, ct);
                    break;
                case RolloutStatus.RolledBack or RolloutStatus.Aborted:
                    await uow.ExecuteAsync("""
                        UPDATE deployments SET canary_version = NULL, canary_weight = 0, rollout_id = NULL, updated_at = now() WHERE domain_id = @Domain
                        """, new { rollout.Domain }, ct);
                    await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Canary, null, ct);
                    await PromotionWatches.RecordRollbackAsync(uow,
                        new RollbackPerformed(domain, rollout.CandidateVersion, rollout.BaselineVersion, decision.Reason, rollout.Id, type), actor, ct);
                    await UnloadWhenUnservedAsync(uow, domain, rollout.CandidateVersion, ct);
                    break;
                default:
                    await uow.ExecuteAsync("UPDATE deployments SET canary_weight = @weight, updated_at = now() WHERE domain_id = @domain",
                        new { domain, weight = decision.ToWeight }, ct);
                    await uow.PublishAsync(new ModelDeployed(domain, rollout.CandidateVersion, AliasRules.Canary, decision.ToWeight), ct);
                    break;
            }
            await AuditLog.WriteAsync(uow, actor, "deployment", domain, decision.Action.ToString().ToLowerInvariant(), before, await FindAsync(uow, domain, ct), ct, decision.Reason);
            await RouteTables.PublishAsync(uow, cache, ct);
        }
        var after = (await FindRolloutAsync(uow, rollout.Id, lockRow: false, ct))!;
        // The entry's "after" holds the decision just taken, so its verdict and figures are in the audit log too.
        await AuditLog.WriteAsync(uow, actor, "rollout", rollout.Id.ToString(), decision.Action.ToString().ToLowerInvariant(),
            rollout with { Decisions = [] }, after with { Decisions = [recorded] }, ct, decision.Reason);
        if (estimated) await WarnWhenSlowAsync(uow, after, actor, ct);
        return after;
    }

    /// <summary>A step expected to take more than an hour is logged and audited as "slow-step", with what would shorten it.</summary>
    private async Task WarnWhenSlowAsync(UnitOfWork uow, RolloutView rollout, string actor, CancellationToken ct)
    {
        if (rollout.EstimateWarning is not { } warning) return;
        LogSlowStep(rollout.Id, rollout.Domain, rollout.WeightPercent, warning);
        await AuditLog.WriteAsync(uow, actor, "rollout", rollout.Id.ToString(), "slow-step", null,
            new { rollout.WeightPercent, rollout.StepIndex, rollout.EstimatedStepSeconds, rollout.EstimateReason }, ct, warning);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout {RolloutId} of {Domain} at {Weight}%: {Warning}")]
    private partial void LogSlowStep(Guid rolloutId, string domain, double weight, string warning);

    /// <summary>
    /// Stops serving a domain's model without archiving the domain: no stable or canary version is routed any more (the
    /// gateway answers the domain as having no model), the versions stay registered and a later deployment serves again.
    /// Refused while a rollout runs or an experiment holds the domain's traffic.
    /// </summary>
    public async Task<DeploymentView> UndeployAsync(string domain, string? reason, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason)) throw DeploymentProblem.Invalid("reason", "Undeploying needs a reason.");
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        await DomainService.RequireAsync(uow, domain, ct);
        if (await ActiveRolloutAsync(uow, domain, ct) is { } running)
        {
            throw DeploymentProblem.Conflict("Rollout in progress", $"Rollout {running} of '{domain}' is running: abort it first.");
        }
        var experiment = await uow.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT experiment_id FROM experiment_routes WHERE domain_id = @domain AND status IN ('running', 'rolled_back')", new { domain }, ct);
        if (experiment is { } holding)
        {
            throw DeploymentProblem.Conflict("Experiment in progress", $"Experiment {holding} holds the traffic of '{domain}': stop it first.");
        }
        var before = await FindAsync(uow, domain, ct);
        if (before?.StableVersion is null) throw DeploymentProblem.Conflict("Nothing deployed", $"'{domain}' serves no model version.");

        var servedBefore = await RouteTables.ServedVersionsAsync(uow, domain, ct);
        await PromotionWatches.EndAsync(uow, domain, "the domain's model was undeployed", actor, ct);
        await uow.ExecuteAsync("""
            UPDATE deployments SET stable_version = NULL, canary_version = NULL, canary_weight = 0, rollout_id = NULL, updated_at = now() WHERE domain_id = @domain
            """, new { domain }, ct);
        await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Stable, null, ct);
        await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Canary, null, ct);
        var after = (await FindAsync(uow, domain, ct))!;
        await AuditLog.WriteAsync(uow, actor, "deployment", domain, "undeploy", before, after, ct, reason);
        await RouteTables.PublishAsync(uow, cache, ct);
        foreach (var drained in ExperimentRouting.Drained(servedBefore, await RouteTables.ServedVersionsAsync(uow, domain, ct)))
        {
            uow.AfterCommit(() => drain.ScheduleAsync(domain, drained));
        }
        await uow.CommitAsync(ct);
        return after;
    }

    public async Task<RolloutView?> GetRolloutAsync(Guid id, CancellationToken ct)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var rollout = await FindRolloutAsync(uow, id, lockRow: false, ct);
        if (rollout is null) return null;
        var decisions = await uow.QueryAsync<DecisionRow>("""
            SELECT id, action, verdict, from_step AS FromStep, to_step AS ToStep, from_weight AS FromWeight, to_weight AS ToWeight,
                   reason, figures::text AS Figures, actor, decided_at AS DecidedAt
            FROM rollout_decisions WHERE rollout_id = @id ORDER BY id
            """, new { id }, ct);
        return rollout with { Decisions = decisions.Select(d => d.ToView()).ToList() };
    }

    private sealed record DecisionRow
    {
        public long Id { get; init; }
        public string Action { get; init; } = "";
        public string? Verdict { get; init; }
        public int FromStep { get; init; }
        public int ToStep { get; init; }
        public double FromWeight { get; init; }
        public double ToWeight { get; init; }
        public string Reason { get; init; } = "";
        public string Figures { get; init; } = "[]";
        public string Actor { get; init; } = "";
        public DateTime DecidedAt { get; init; }

        public RolloutDecisionView ToView() => new()
        {
            Id = Id, Action = Action, Verdict = Verdict, FromStep = FromStep, ToStep = ToStep, FromWeight = FromWeight, ToWeight = ToWeight,
            Reason = Reason, Figures = System.Text.Json.JsonDocument.Parse(Figures).RootElement.Clone(), Actor = Actor, DecidedAt = DecidedAt,
        };
    }

    public async Task<IReadOnlyList<RolloutView>> ListRolloutsAsync(string? domain, string? status, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<RolloutView>(new CommandDefinition($"""
            SELECT {RolloutColumns} FROM rollouts
            WHERE (@domain::text IS NULL OR domain_id = @domain) AND (@status::text IS NULL OR lower(status) = lower(@status))
            ORDER BY created_at DESC
            """, new { domain, status }, cancellationToken: ct))).Select(WithWeight).ToList();
    }

    private static async Task<RolloutView?> FindRolloutAsync(UnitOfWork uow, Guid id, bool lockRow, CancellationToken ct)
    {
        var row = await uow.QuerySingleOrDefaultAsync<RolloutView>($"SELECT {RolloutColumns} FROM rollouts WHERE id = @id" + (lockRow ? " FOR UPDATE" : ""), new { id }, ct);
        return row is null ? null : WithWeight(row);
    }

    private static RolloutView WithWeight(RolloutView row) => row with { WeightPercent = CanaryStateMachine.WeightOf(row.Policy, row.State) };

    internal static Task<DeploymentView?> FindAsync(UnitOfWork uow, string domain, CancellationToken ct) =>
        uow.QuerySingleOrDefaultAsync<DeploymentView>("""
            SELECT domain_id AS Domain, stable_version AS StableVersion, canary_version AS CanaryVersion, canary_weight AS CanaryWeight,
                   rollout_id AS RolloutId, updated_at AS UpdatedAt
            FROM deployments WHERE domain_id = @domain
            """, new { domain }, ct);

    /// <summary>
    /// An emergency rollback pins a domain to the experiment's control until deployment moves its traffic itself;
    /// the row stays (as "released") so a late event of that experiment cannot pin it again.
    /// </summary>
    private static Task ReleaseRolledBackExperimentAsync(UnitOfWork uow, string domain, CancellationToken ct) =>
        uow.ExecuteAsync("UPDATE experiment_routes SET status = 'released', updated_at = now() WHERE domain_id = @domain AND status = 'rolled_back'", new { domain }, ct);

    /// <summary>Unloads a version the deployment let go of after the commit, unless an experiment's arm still serves it.</summary>
    private async Task UnloadWhenUnservedAsync(UnitOfWork uow, string domain, string version, CancellationToken ct)
    {
        if ((await RouteTables.ServedVersionsAsync(uow, domain, ct)).Contains(version)) return;
        uow.AfterCommit(() => drain.ScheduleAsync(domain, version));
    }

    private static Task<Guid?> ActiveRolloutAsync(UnitOfWork uow, string domain, CancellationToken ct) =>
        uow.QuerySingleOrDefaultAsync<Guid?>("SELECT id FROM rollouts WHERE domain_id = @domain AND status IN ('Running', 'Paused')", new { domain }, ct);

    private static async Task<RolloutDecisionView> InsertDecisionAsync(
        UnitOfWork uow, Guid rolloutId, RolloutDecision decision, AnalysisRecord? analysis, string actor, CancellationToken ct) =>
        (await uow.QuerySingleOrDefaultAsync<DecisionRow>("""
            INSERT INTO rollout_decisions (rollout_id, action, verdict, from_step, to_step, from_weight, to_weight, reason, figures, actor)
            VALUES (@rolloutId, @action, @verdict, @FromStep, @ToStep, @FromWeight, @ToWeight, @Reason, @figures::jsonb, @actor)
            RETURNING id, action, verdict, from_step AS FromStep, to_step AS ToStep, from_weight AS FromWeight, to_weight AS ToWeight,
                      reason, figures::text AS Figures, actor, decided_at AS DecidedAt
            """, new
        {
            rolloutId, action = decision.Action.ToString().ToLowerInvariant(), verdict = analysis?.Verdict, decision.FromStep, decision.ToStep,
            decision.FromWeight, decision.ToWeight, decision.Reason, figures = analysis is null ? "[]" : Json.Serialize(analysis.Figures), actor,
        }, ct))!.ToView();
}
