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
        last_reason AS LastReason, version, started_by AS StartedBy, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public async Task<DeploymentView?> GetAsync(string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DeploymentView>(new CommandDefinition("""
            SELECT domain_id AS Domain, stable_version AS StableVersion, canary_version AS CanaryVersion, canary_weight AS CanaryWeight,
                   rollout_id AS RolloutId, updated_at AS UpdatedAt
            FROM deployments WHERE domain_id = @domain
            """, new { domain }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DeploymentView>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DeploymentView>(new CommandDefinition("""
            SELECT domain_id AS Domain, stable_version AS StableVersion, canary_version AS CanaryVersion, canary_weight AS CanaryWeight,
                   rollout_id AS RolloutId, updated_at AS UpdatedAt
            FROM deployments ORDER BY domain_id
            """, cancellationToken: ct))).AsList();
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
        return result;
    }

    public async Task<DeploymentView> SetStableAsync(UnitOfWork uow, string domain, string version, string? rollbackReason, string actor, CancellationToken ct)
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
        if (rollbackReason is not null) await uow.PublishAsync(new RollbackPerformed(domain, before!.StableVersion!, version, rollbackReason, null), ct);
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
        RolloutView rollout, RolloutTransition transition, AnalysisRecord analysis, string leaseOwner, CancellationToken ct, TrafficReading? traffic = null)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var current = await FindRolloutAsync(uow, rollout.Id, lockRow: true, ct);
        if (current is null || current.Version != rollout.Version) return null;
        var owner = await uow.ExecuteScalarAsync<string?>("SELECT lease_owner FROM rollouts WHERE id = @Id", new { rollout.Id }, ct);
        if (owner != leaseOwner) return null;
        var after = await ApplyAsync(uow, current, transition, analysis, AuditLog.System, traffic, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    /// <summary>Whether a transition begins a new analysis phase of a rollout that goes on: a new step, a weight set by hand, a resume.</summary>
    public static bool StartsPhase(RolloutTransition transition) =>
        transition.Next.IsActive && transition.Decision.Action is RolloutAction.Advance or RolloutAction.SetWeight or RolloutAction.Resume;

    private async Task<RolloutView> ApplyAsync(
        UnitOfWork uow, RolloutView rollout, RolloutTransition transition, AnalysisRecord? analysis, string actor, TrafficReading? traffic, CancellationToken ct)
    {
        var (next, decision) = transition;
        await uow.ExecuteAsync("""
            UPDATE rollouts SET status = @Status, step_index = @StepIndex, step_started_at = @StepStartedAt, manual_weight = @ManualWeight, last_reason = @Reason,
                version = version + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id = @Id
            """, new { rollout.Id, Status = next.Status.ToString(), next.StepIndex, next.StepStartedAt, next.ManualWeight, decision.Reason }, ct);
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
                    await UnloadWhenUnservedAsync(uow, domain, rollout.BaselineVersion, ct);
                    break;
                case RolloutStatus.RolledBack or RolloutStatus.Aborted:
                    await uow.ExecuteAsync("""
                        UPDATE deployments SET canary_version = NULL, canary_weight = 0, rollout_id = NULL, updated_at = now() WHERE domain_id = @Domain
                        """, new { rollout.Domain }, ct);
                    await VersionRegistry.SetManagedAliasAsync(uow, domain, AliasRules.Canary, null, ct);
                    await uow.PublishAsync(new RollbackPerformed(domain, rollout.CandidateVersion, rollout.BaselineVersion, decision.Reason, rollout.Id), ct);
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
