using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;
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
    public string Status { get; init; } = "";
    public int StepIndex { get; init; }
    public double WeightPercent { get; init; }
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
    public RolloutState State => new(Enum.Parse<RolloutStatus>(Status), StepIndex, DateTime.SpecifyKind(StepStartedAt, DateTimeKind.Utc));
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

public sealed record StartRolloutCommand(string Domain, string? Version, IReadOnlyList<double>? Steps, double? MinStepSeconds, long? MinSamples);

/// <summary>The figures an analysis gave, recorded with the decision they led to.</summary>
public sealed record AnalysisRecord(string Verdict, string Reason, object Figures);

/// <summary>What serves each domain, and every move of traffic: direct deployment, rollback to a version, rollouts.</summary>
public sealed class DeploymentService(
    NpgsqlDataSource db, OutboxSignal signal, DomainCache cache, InferenceControl inference, ModelDrain drain, TimeProvider clock, IOptions<DeploymentOptions> options)
{
    private const string RolloutColumns = """
        id, domain_id AS Domain, baseline_version AS BaselineVersion, candidate_version AS CandidateVersion, steps,
        min_step_seconds AS MinStepSeconds, min_samples AS MinSamples, status, step_index AS StepIndex, step_started_at AS StepStartedAt,
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
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var rollout = await StartRolloutAsync(uow, command, actor, ct);
        await uow.CommitAsync(ct);
        return rollout;
    }

    /// <summary>Starts a canary: inference loads the candidate before the first step's traffic moves to it.</summary>
    public async Task<RolloutView> StartRolloutAsync(UnitOfWork uow, StartRolloutCommand command, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(command.Version)) throw DeploymentProblem.Invalid("version", "The candidate version is required.");
        var steps = command.Steps ?? RolloutPolicy.DefaultSteps;
        var minStep = command.MinStepSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.Value.DefaultMinStepDuration;
        var domain = await DomainService.RequireAsync(uow, command.Domain, ct);
        var minSamples = command.MinSamples ?? domain.Config.Rollback.MinSamples;
        var errors = RolloutPolicy.Validate(steps, minStep, minSamples);
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);
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
        await uow.ExecuteAsync("""
            INSERT INTO rollouts (id, domain_id, baseline_version, candidate_version, steps, min_step_seconds, min_samples, status, step_index, step_started_at, last_reason, started_by)
            VALUES (@id, @domain, @stable, @candidate, @steps, @minStepSeconds, @minSamples, 'Running', 0, @now, 'started', @actor)
            """, new { id, domain = domain.Id, stable, candidate = candidate.Version, steps = steps.ToArray(), minStepSeconds = minStep.TotalSeconds, minSamples, now, actor }, ct);
        await uow.ExecuteAsync("""
            UPDATE deployments SET canary_version = @candidate, canary_weight = @weight, rollout_id = @id, updated_at = now() WHERE domain_id = @domain
            """, new { domain = domain.Id, candidate = candidate.Version, weight = steps[0], id }, ct);
        await VersionRegistry.SetManagedAliasAsync(uow, domain.Id, AliasRules.Canary, candidate.Version, ct);
        await InsertDecisionAsync(uow, id, new RolloutDecision(RolloutAction.Advance, 0, 0, 0, steps[0], "started"), null, actor, ct);
        var rollout = (await FindRolloutAsync(uow, id, lockRow: false, ct))!;
        await AuditLog.WriteAsync(uow, actor, "rollout", id.ToString(), "start", before, rollout, ct);
        await uow.PublishAsync(new ModelDeployed(domain.Id, candidate.Version, AliasRules.Canary, steps[0]), ct);
        await RouteTables.PublishAsync(uow, cache, ct);
        return rollout;
    }

    public enum ManualCommand { Promote, Pause, Resume, Abort }

    public async Task<RolloutView> CommandAsync(Guid id, ManualCommand command, string? reason, string actor, CancellationToken ct)
    {
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
                _ => CanaryStateMachine.Abort(rollout.Policy, rollout.State, now, why),
            };
        }
        catch (InvalidRolloutTransitionException ex)
        {
            throw DeploymentProblem.Conflict("Rollout cannot do that now", ex.Message);
        }
        var after = await ApplyAsync(uow, rollout, transition, null, actor, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    /// <summary>
    /// Applies a transition computed from <paramref name="rollout"/> as read; refused (null) when the rollout has
    /// moved since (its version changed), so a step is never advanced twice.
    /// </summary>
    public async Task<RolloutView?> ApplyVerdictAsync(RolloutView rollout, RolloutTransition transition, AnalysisRecord analysis, string leaseOwner, CancellationToken ct)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var current = await FindRolloutAsync(uow, rollout.Id, lockRow: true, ct);
        if (current is null || current.Version != rollout.Version) return null;
        var owner = await uow.ExecuteScalarAsync<string?>("SELECT lease_owner FROM rollouts WHERE id = @Id", new { rollout.Id }, ct);
        if (owner != leaseOwner) return null;
        var after = await ApplyAsync(uow, current, transition, analysis, AuditLog.System, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    private async Task<RolloutView> ApplyAsync(UnitOfWork uow, RolloutView rollout, RolloutTransition transition, AnalysisRecord? analysis, string actor, CancellationToken ct)
    {
        var (next, decision) = transition;
        await uow.ExecuteAsync("""
            UPDATE rollouts SET status = @Status, step_index = @StepIndex, step_started_at = @StepStartedAt, last_reason = @Reason,
                version = version + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id = @Id
            """, new { rollout.Id, Status = next.Status.ToString(), next.StepIndex, next.StepStartedAt, decision.Reason }, ct);
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
