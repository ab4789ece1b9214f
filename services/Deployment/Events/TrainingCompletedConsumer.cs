using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Events;

/// <summary>The outcome of one training completion, kept so a version that was not rolled out says why.</summary>
public sealed record AutoDeployment
{
    public Guid JobId { get; init; }
    public string Domain { get; init; } = "";
    public string? Version { get; init; }
    public string Outcome { get; init; } = "";
    public string Reason { get; init; } = "";
    public Guid? RolloutId { get; init; }
    public DateTime DecidedAt { get; init; }
}

/// <summary>
/// Automatic deployment: registers the trained version and, when it passes the domain's gates, starts a canary
/// (or deploys it as stable when the domain serves nothing yet); otherwise records the reason.
/// </summary>
public sealed class TrainingCompletedConsumer(NpgsqlDataSource db, OutboxSignal signal, DeploymentService deployments)
    : IdempotentConsumer<TrainingCompleted>(db, signal)
{
    public const string Registered = "registered";
    public const string CanaryStarted = "canary-started";
    public const string DeployedStable = "deployed-stable";
    public const string GatesFailed = "gates-failed";
    public const string Rejected = "rejected";
    public const string TrainingFailed = "training-failed";
    public const string Duplicate = "duplicate";

    protected override async Task HandleAsync(TrainingCompleted message, EventTransaction transaction, CancellationToken ct)
    {
        var uow = UnitOfWork.Join(transaction);
        var (outcome, reason, version, rolloutId) = await DecideAsync(uow, message, ct);
        await uow.ExecuteAsync("""
            INSERT INTO auto_deployments (job_id, domain_id, version, outcome, reason, rollout_id) VALUES (@JobId, @Domain, @version, @outcome, @reason, @rolloutId)
            ON CONFLICT (job_id) DO NOTHING
            """, new { message.JobId, message.Domain, version, outcome, reason, rolloutId }, ct);
        await AuditLog.WriteAsync(uow, AuditLog.System, "auto-deployment", message.JobId.ToString(), outcome, null,
            new { message.JobId, message.Domain, version, outcome, reason, rolloutId }, ct);
    }

    private async Task<(string Outcome, string Reason, string? Version, Guid? RolloutId)> DecideAsync(UnitOfWork uow, TrainingCompleted message, CancellationToken ct)
    {
        if (!message.Succeeded) return (TrainingFailed, $"training failed: {message.Error ?? "no error given"}", null, null);
        // The same job announced twice (a new event id) must not register a second version.
        var earlier = await uow.QuerySingleOrDefaultAsync<string>(
            "SELECT version FROM model_versions WHERE domain_id = @Domain AND training_run_id = @job", new { message.Domain, job = message.JobId.ToString() }, ct);
        if (earlier is not null) return (Duplicate, $"job {message.JobId} was already registered as {earlier}", earlier, null);

        var metrics = message.Metrics is { } m
            ? new Dictionary<string, double>
            {
                [DeploymentGateCheck.Accuracy] = m.Accuracy, [DeploymentGateCheck.LatencyMs] = m.LatencyMs,
                [DeploymentGateCheck.TrainingLoss] = m.TrainingLoss, [DeploymentGateCheck.ValidationLoss] = m.ValidationLoss,
            }
            : new Dictionary<string, double>();
        var command = new RegisterVersionCommand(message.Domain, null, "minor", message.ArtifactPath, message.ArtifactSha256, message.ArtifactSizeBytes,
            metrics, message.JobId.ToString(), message.DatasetId.ToString(),
            SemanticVersion.TryParse(message.BaseModelVersion, out _) ? message.BaseModelVersion : null, ["auto"]);

        ModelVersionView registered;
        try
        {
            var artifact = await VersionRegistry.ValidateAndVerifyAsync(command, ct);
            registered = await VersionRegistry.RegisterAsync(uow, command, artifact, AuditLog.System, ct);
        }
        catch (DeploymentProblem problem)
        {
            return (Rejected, $"not registered: {problem.Message}", null, null);
        }
        if (!registered.GatesPassed) return (GatesFailed, registered.GateReport, registered.Version, null);

        try
        {
            var current = await deployments.GetAsync(message.Domain, ct);
            if (current?.StableVersion is null)
            {
                await deployments.SetStableAsync(uow, message.Domain, registered.Version, null, AuditLog.System, ct);
                return (DeployedStable, "gates passed; the domain served nothing, so the version is stable", registered.Version, null);
            }
            var rollout = await deployments.StartRolloutAsync(uow, new StartRolloutCommand(message.Domain, registered.Version, null, null, null), AuditLog.System,
                await deployments.ReadTrafficAsync(message.Domain, ct), ct);
            return (CanaryStarted, "gates passed; canary rollout started", registered.Version, rollout.Id);
        }
        catch (DeploymentProblem problem)
        {
            // The version stays registered; an operator can roll it out once the obstacle is gone.
            return (Registered, $"gates passed but not rolled out: {problem.Message}", registered.Version, null);
        }
    }

    public static async Task<IReadOnlyList<AutoDeployment>> ListAsync(NpgsqlDataSource db, string? domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AutoDeployment>(new CommandDefinition("""
            SELECT job_id AS JobId, domain_id AS Domain, version, outcome, reason, rollout_id AS RolloutId, decided_at AS DecidedAt
            FROM auto_deployments WHERE @domain::text IS NULL OR domain_id = @domain ORDER BY decided_at DESC LIMIT 200
            """, new { domain }, cancellationToken: ct))).AsList();
    }
}
