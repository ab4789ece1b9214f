using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Notifications;
using MassTransit;

namespace DomainPlatform.Experimentation.Events;

/// <summary>
/// Sends each alert to its notification channels (Slack, PagerDuty, e-mail, webhooks: <see cref="AlertDispatcher"/>).
/// Named for the queue it has always consumed from (experimentation's alert-webhook queue), so no queue is left behind.
/// </summary>
public sealed class AlertWebhookConsumer(AlertDispatcher dispatcher) : IConsumer<AlertRaised>
{
    public Task Consume(ConsumeContext<AlertRaised> context) => dispatcher.DispatchAsync(context.Message, context.CancellationToken);
}
