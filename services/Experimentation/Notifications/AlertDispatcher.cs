using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Notifications;

/// <summary>
/// Hands an alert to every channel that wants it (the configured ones and the API's webhooks), each on its own: an
/// attempt that fails in a way worth repeating is retried with a doubling backoff up to Alerting:MaxAttempts, and every
/// attempt goes into the delivery log. A channel that already took the alert is skipped (a redelivered event).
/// </summary>
public sealed partial class AlertDispatcher(
    IOptionsMonitor<AlertingOptions> options, AlertStore alerts, DeliveryStore deliveries, AlertChannelSender sender,
    TimeProvider clock, ILogger<AlertDispatcher> logger)
{
    public async Task<IReadOnlyList<AlertChannelOptions>> ChannelsAsync(CancellationToken ct) =>
    [
        .. options.CurrentValue.Channels,
        // The API's webhooks keep what they always did: alerts at or above their level, recoveries only from INFO.
        .. (await alerts.WebhooksAsync(ct)).Select(w => new AlertChannelOptions
        {
            Name = AlertDelivery.StoredWebhookPrefix + w.Id, Kind = AlertChannelKinds.Webhook, Url = w.Url, MinLevel = w.MinLevel, SendRecoveries = false,
        }),
    ];

    public async Task DispatchAsync(AlertRaised alert, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var channels = (await ChannelsAsync(ct)).Where(c => AlertDelivery.Wants(c, alert));
        await Task.WhenAll(channels.Select(c => DeliverAsync(c, alert, o, ct)));
    }

    private async Task DeliverAsync(AlertChannelOptions channel, AlertRaised alert, AlertingOptions o, CancellationToken ct)
    {
        if (await deliveries.DeliveredAsync(alert.AlertId, channel.Name, ct)) return;
        var action = AlertDelivery.ActionOf(alert);
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1) await Task.Delay(AlertDelivery.Backoff(attempt, o), clock, ct);
            var result = await sender.SendAsync(channel, alert, TimeSpan.FromSeconds(o.TimeoutSeconds), ct);
            var status = AlertDelivery.StatusOf(result.Delivered, result.Retryable, attempt, o);
            await deliveries.RecordAsync(alert.AlertId, channel.Name, channel.Kind, action, attempt, status, result.Error, ct);
            if (status == AlertDelivery.Retrying) continue;
            if (status == AlertDelivery.Failed) LogGaveUp(channel.Name, alert.AlertId, attempt, result.Error);
            return;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert channel {Channel} did not take alert {AlertId} after {Attempts} attempts: {Reason}")]
    private partial void LogGaveUp(string channel, Guid alertId, int attempts, string? reason);
}

/// <summary>Refuses to start with a channel that could never deliver, naming it and the field.</summary>
public sealed class AlertingOptionsValidator : IValidateOptions<AlertingOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertingOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
