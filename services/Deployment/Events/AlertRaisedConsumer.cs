using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Data;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Events;

/// <summary>
/// Experimentation's monitor raised an alert about a model version: deployment acts on it (emergency or gradual
/// rollback, see <see cref="DeploymentService.OnAlertAsync"/>), once per event id. What it did with each alert, or why
/// nothing, is in the audit log (entity type "alert", the alert's id).
/// </summary>
public sealed partial class AlertRaisedConsumer(NpgsqlDataSource db, OutboxSignal signal, DeploymentService deployments, ILogger<AlertRaisedConsumer> logger)
    : IdempotentConsumer<AlertRaised>(db, signal)
{
    public const string EntityType = "alert";

    protected override async Task HandleAsync(AlertRaised message, EventTransaction transaction, CancellationToken ct)
    {
        var uow = UnitOfWork.Join(transaction);
        string action, outcome;
        try
        {
            var (acted, what) = await deployments.OnAlertAsync(uow, message, ct);
            (action, outcome) = (acted ? "acted" : "ignored", what);
            if (acted) LogActed(message.Level, message.Domain, message.ModelVersion, what);
        }
        catch (DeploymentProblem problem)
        {
            // The alert is consumed either way; the operator sees why nothing moved.
            (action, outcome) = ("rollback-refused", problem.Message);
            LogRefused(message.Level, message.Domain, message.ModelVersion, problem.Message);
        }
        await AuditLog.WriteAsync(uow, $"alert:{message.AlertId}", EntityType, message.AlertId.ToString(), action, null,
            new { message.Domain, message.ModelVersion, message.Level, message.Metric, message.Value, message.Message }, ct, outcome);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Level} alert about {Domain} {Version}: {Done}")]
    private partial void LogActed(string level, string? domain, string? version, string done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Level} alert about {Domain} {Version}: the rollback could not be made: {Reason}")]
    private partial void LogRefused(string level, string? domain, string? version, string reason);
}
