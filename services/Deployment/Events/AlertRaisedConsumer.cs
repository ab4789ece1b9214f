using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Data;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Events;

/// <summary>
/// Experimentation's monitor raised an alert about a model version: deployment acts on it (emergency or gradual
/// rollback, see <see cref="DeploymentService.OnAlertAsync"/>), once per event id.
/// </summary>
public sealed partial class AlertRaisedConsumer(NpgsqlDataSource db, OutboxSignal signal, DeploymentService deployments, ILogger<AlertRaisedConsumer> logger)
    : IdempotentConsumer<AlertRaised>(db, signal)
{
    protected override async Task HandleAsync(AlertRaised message, EventTransaction transaction, CancellationToken ct)
    {
        var uow = UnitOfWork.Join(transaction);
        try
        {
            if (await deployments.OnAlertAsync(uow, message, ct) is { } done) LogActed(message.Level, message.Domain, message.ModelVersion, done);
        }
        catch (DeploymentProblem problem)
        {
            // The alert is consumed either way; the operator sees in the audit log why nothing moved.
            LogRefused(message.Level, message.Domain, message.ModelVersion, problem.Message);
            await AuditLog.WriteAsync(uow, $"alert:{message.AlertId}", "alert", message.AlertId.ToString(), "rollback-refused", null,
                new { message.Domain, message.ModelVersion, message.Level, message.Message }, ct, problem.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Level} alert about {Domain} {Version}: {Done}")]
    private partial void LogActed(string level, string? domain, string? version, string done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Level} alert about {Domain} {Version}: the rollback could not be made: {Reason}")]
    private partial void LogRefused(string level, string? domain, string? version, string reason);
}
