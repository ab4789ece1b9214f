using System.Net.Http.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using MassTransit;

namespace DomainPlatform.Experimentation.Events;

/// <summary>
/// Posts each alert to the webhook destinations whose minimum level it reaches. The HTTP client retries with backoff
/// (the resilience defaults); a destination that still fails is logged and the others are served (at least once per destination is not promised).
/// </summary>
public sealed partial class AlertWebhookConsumer(AlertStore alerts, IHttpClientFactory http, ILogger<AlertWebhookConsumer> logger) : IConsumer<AlertRaised>
{
    public const string ClientName = "webhooks";

    public async Task Consume(ConsumeContext<AlertRaised> context)
    {
        var alert = context.Message;
        var rank = AlertLevels.Rank(alert.Level);
        foreach (var destination in await alerts.WebhooksAsync(context.CancellationToken))
        {
            if (rank < AlertLevels.Rank(destination.MinLevel)) continue;
            try
            {
                using var client = http.CreateClient(ClientName);
                using var response = await client.PostAsJsonAsync(destination.Url, alert, EventSerialization.Options, context.CancellationToken);
                response.EnsureSuccessStatusCode();
            }
            catch (Exception ex) when (!context.CancellationToken.IsCancellationRequested)
            {
                LogDeliveryFailed(destination.Url, alert.AlertId, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Url} did not take alert {AlertId} after retries: {Reason}")]
    private partial void LogDeliveryFailed(string url, Guid alertId, string reason);
}
