using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Data;

/// <summary>
/// Experimentation decides an experiment's split; deployment, which owns the route table and what inference holds,
/// takes it in: loads the arms' versions, puts the arms in the domain's route, and gives the domain back to its
/// deployment route when the experiment ends. Every outcome is in the audit log (entity type "experiment").
/// </summary>
public sealed partial class ExperimentTraffic(
    DeploymentService deployments, DomainCache cache, InferenceControl inference, ModelDrain drain, ILogger<ExperimentTraffic> logger)
{
    public const string EntityType = "experiment";

    public async Task ApplyAsync(UnitOfWork uow, ExperimentTrafficChanged evt, CancellationToken ct)
    {
        var incoming = ExperimentRouting.FromEvent(evt);
        var entity = evt.ExperimentId.ToString();
        var actor = Actor(evt.ExperimentId);
        var domain = await DomainService.FindAsync(uow, evt.Domain, lockRow: true, ct);
        if (domain is null || domain.Status != DomainService.Active)
        {
            await RefuseAsync(uow, actor, entity, evt, domain is null ? $"no domain '{evt.Domain}'" : $"'{evt.Domain}' is archived", ct);
            return;
        }
        if (ExperimentRouting.Validate(incoming) is { Count: > 0 } errors)
        {
            await RefuseAsync(uow, actor, entity, evt, string.Join(" ", errors), ct);
            return;
        }
        var before = (await RouteTables.ServingAsync(uow, evt.Domain, ct))!;
        if (!ExperimentRouting.Supersedes(before.Experiment, incoming))
        {
            LogStale(evt.ExperimentId, evt.Domain, evt.Phase, evt.Status);
            return;
        }

        var servedBefore = RouteTableBuilder.ServedVersions(before);
        var after = before with { Experiment = incoming };
        try
        {
            foreach (var arm in incoming.ServingArms)
            {
                _ = await VersionRegistry.FindAsync(uow, evt.Domain, arm.ModelVersion, ct)
                    ?? throw DeploymentProblem.NotFound("Model version", $"arm '{arm.Name}' names {arm.ModelVersion}, which is not registered in '{evt.Domain}'");
            }
            // Inference holds every version before traffic moves to it: the arms, or the deployment's versions coming back
            // (drained while the experiment served instead). A version served already is loaded.
            foreach (var version in RouteTableBuilder.ServedVersions(after).Except(servedBefore, StringComparer.Ordinal))
            {
                await inference.LoadAsync((await VersionRegistry.FindAsync(uow, evt.Domain, version, ct))!, ct);
            }
        }
        catch (DeploymentProblem problem)
        {
            await RefuseAsync(uow, actor, entity, evt, problem.Message, ct);
            return;
        }

        await uow.ExecuteAsync("""
            INSERT INTO experiment_routes (domain_id, experiment_id, phase, status, arms, occurred_at)
            VALUES (@domain, @ExperimentId, @Phase, @Status, @arms::jsonb, @OccurredAt)
            ON CONFLICT (domain_id) DO UPDATE SET experiment_id = EXCLUDED.experiment_id, phase = EXCLUDED.phase, status = EXCLUDED.status,
                arms = EXCLUDED.arms, occurred_at = EXCLUDED.occurred_at, updated_at = now()
            """, new { domain = evt.Domain, incoming.ExperimentId, incoming.Phase, incoming.Status, arms = Json.Serialize(incoming.Arms), incoming.OccurredAt }, ct);
        await AuditLog.WriteAsync(uow, actor, EntityType, entity, "traffic", Describe(before), Describe(after), ct);
        await RouteTables.PublishAsync(uow, cache, ct);
        foreach (var drained in ExperimentRouting.Drained(servedBefore, RouteTableBuilder.ServedVersions(after)))
        {
            uow.AfterCommit(() => drain.ScheduleAsync(evt.Domain, drained));
        }
        LogApplied(evt.ExperimentId, evt.Domain, evt.Phase, evt.Status);
    }

    /// <summary>With deployWinner, the concluded experiment's winning version becomes the domain's stable version.</summary>
    public async Task DeployWinnerAsync(UnitOfWork uow, ExperimentConcluded evt, CancellationToken ct)
    {
        if (!evt.DeployWinner || string.IsNullOrWhiteSpace(evt.WinnerModelVersion)) return;
        var actor = Actor(evt.ExperimentId);
        string action, reason;
        try
        {
            var current = await DeploymentService.FindAsync(uow, evt.Domain, ct);
            if (current?.StableVersion == evt.WinnerModelVersion)
            {
                (action, reason) = ("deploy-winner", $"{evt.WinnerModelVersion} already serves '{evt.Domain}' as stable");
            }
            else
            {
                await deployments.SetStableAsync(uow, evt.Domain, evt.WinnerModelVersion, null, actor, ct, how: $"experiment {evt.ExperimentId}'s winner");
                (action, reason) = ("deploy-winner", $"winner '{evt.WinnerVariant}' ({evt.WinnerModelVersion}) deployed as stable: {evt.Reason}");
            }
        }
        catch (DeploymentProblem problem)
        {
            // The experiment has ended either way; the operator sees why its winner was not deployed.
            (action, reason) = ("deploy-winner-refused", problem.Message);
        }
        await AuditLog.WriteAsync(uow, actor, EntityType, evt.ExperimentId.ToString(), action, null,
            new { evt.Domain, evt.WinnerVariant, evt.WinnerModelVersion, reason }, ct);
    }

    private static string Actor(Guid experimentId) => $"experiment:{experimentId}";

    private async Task RefuseAsync(UnitOfWork uow, string actor, string entity, ExperimentTrafficChanged evt, string reason, CancellationToken ct)
    {
        LogRefused(evt.ExperimentId, evt.Domain, reason);
        await AuditLog.WriteAsync(uow, actor, EntityType, entity, "traffic-refused", null,
            new { evt.Domain, evt.Phase, evt.Status, evt.Variants, reason }, ct);
    }

    private static object Describe(DomainServing serving) => new
    {
        experiment = serving.Experiment,
        route = RouteTableBuilder.Route(serving).Variants,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {ExperimentId} in {Domain}: phase {Phase} {Status} is in the route table")]
    private partial void LogApplied(Guid experimentId, string domain, int phase, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {ExperimentId} in {Domain}: ignored phase {Phase} {Status}, a newer change is applied")]
    private partial void LogStale(Guid experimentId, string domain, int phase, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {ExperimentId} in {Domain}: traffic change refused: {Reason}")]
    private partial void LogRefused(Guid experimentId, string domain, string reason);
}
