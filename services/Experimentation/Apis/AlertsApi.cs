using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Experimentation.Monitoring;
using DomainPlatform.Experimentation.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Apis;

public sealed record MonitoringStatusView(bool Enabled, DateTime? LastRunAt, MonitoringOptions Thresholds);

public sealed record WebhookRequest(string? Url, string? MinLevel);

/// <summary>A notification channel as the API shows it: where it sends, never its secret (a webhook path, a routing key, a password).</summary>
public sealed record AlertChannelView(string Name, string Kind, string MinLevel, IReadOnlyList<string> Domains, bool SendRecoveries, string Destination)
{
    public static AlertChannelView Of(AlertChannelOptions c) => new(c.Name, c.Kind, c.MinLevel, c.Domains, c.SendRecoveries, c.Kind == AlertChannelKinds.Email
        ? $"smtp://{c.Host}:{c.Port} to {string.Join(", ", c.To)}"
        : new Uri(c.Url ?? AlertChannelOptions.PagerDutyEventsUrl).GetLeftPart(UriPartial.Authority));
}

public static class AlertsApi
{
    public static RouteGroupBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/alerts").WithTags("Alerts");
        api.MapGet("/", ListAlerts).WithName("ListAlerts")
            .WithSummary("Alert history, newest first (?level=INFO|WARNING|CRITICAL|EMERGENCY, ?domain=, ?limit= up to 1000) (Aphrodite: monitoring alerts)");
        api.MapGet("/monitoring", MonitoringStatus).WithName("GetMonitoringStatus")
            .WithSummary("Whether monitoring runs, its last look and its thresholds (Aphrodite: monitoring status)");
        api.MapPost("/monitoring/start", (MonitorControl control) => SetPaused(control, false)).WithName("StartMonitoring")
            .WithSummary("Resume monitoring on every replica (Aphrodite: monitoring start)");
        api.MapPost("/monitoring/stop", (MonitorControl control) => SetPaused(control, true)).WithName("StopMonitoring")
            .WithSummary("Pause monitoring on every replica (Aphrodite: monitoring stop)");
        api.MapGet("/webhooks", async (AlertStore store, CancellationToken ct) => TypedResults.Ok(await store.WebhooksAsync(ct)))
            .WithName("ListWebhooks").WithSummary("Webhook destinations alerts are posted to");
        api.MapPost("/webhooks", AddWebhook).WithName("AddWebhook")
            .WithSummary("Add a webhook destination: alerts at or above minLevel (default WARNING) are POSTed to it as AlertRaised JSON, with retries");
        api.MapDelete("/webhooks/{id:guid}", RemoveWebhook).WithName("RemoveWebhook").WithSummary("Remove a webhook destination");
        api.MapGet("/channels", ListChannels).WithName("ListAlertChannels")
            .WithSummary("Notification channels: the configured ones (Slack, PagerDuty, e-mail, webhook) and the webhooks added here, without secrets");
        api.MapGet("/deliveries", ListDeliveries).WithName("ListAlertDeliveries")
            .WithSummary("The delivery log, newest first: every attempt to hand an alert to a channel (?alertId=, ?channel=, ?status=delivered|retrying|failed, ?limit= up to 1000)");
        return api;
    }

    public static async Task<Results<Ok<IReadOnlyList<AlertRow>>, ValidationProblem>> ListAlerts(string? level, string? domain, int? limit, AlertStore store, CancellationToken ct)
    {
        if (level is not null && !AlertLevels.All.Contains(level))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["level"] = [$"level is one of {string.Join(", ", AlertLevels.All)}."] });
        if (limit is < 1 or > 1000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["limit is between 1 and 1000."] });
        return TypedResults.Ok(await store.ListAsync(level, domain, limit ?? 100, ct));
    }

    public static async Task<Ok<IReadOnlyList<AlertChannelView>>> ListChannels(AlertDispatcher dispatcher, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<AlertChannelView>>([.. (await dispatcher.ChannelsAsync(ct)).Select(AlertChannelView.Of)]);

    public static async Task<Results<Ok<IReadOnlyList<DeliveryRow>>, ValidationProblem>> ListDeliveries(
        Guid? alertId, string? channel, string? status, int? limit, DeliveryStore store, CancellationToken ct)
    {
        if (status is not null && !AlertDelivery.Statuses.Contains(status))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = [$"status is one of {string.Join(", ", AlertDelivery.Statuses)}."] });
        if (channel is { Length: 0 or > 200 })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["channel"] = ["channel is 1-200 characters."] });
        if (limit is < 1 or > 1000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["limit is between 1 and 1000."] });
        return TypedResults.Ok(await store.ListAsync(alertId, channel, status, limit ?? 100, ct));
    }

    public static async Task<Ok<MonitoringStatusView>> MonitoringStatus(MonitorControl control, IOptions<MonitoringOptions> options) =>
        TypedResults.Ok(new MonitoringStatusView(!await control.IsPausedAsync(), control.LastRunAt, options.Value));

    public static async Task<Results<Created<WebhookRow>, ValidationProblem>> AddWebhook(WebhookRequest request, AlertStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            errors["url"] = ["An absolute http(s) URL is required."];
        var minLevel = request.MinLevel ?? AlertLevels.Warning;
        if (!AlertLevels.All.Contains(minLevel)) errors["minLevel"] = [$"minLevel is one of {string.Join(", ", AlertLevels.All)}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var created = await store.AddWebhookAsync(url!.ToString(), minLevel, ct);
        return TypedResults.Created($"/api/alerts/webhooks/{created.Id}", created);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveWebhook(Guid id, AlertStore store, CancellationToken ct) =>
        await store.RemoveWebhookAsync(id, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(title: "Webhook not found", detail: $"No webhook destination has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    private static async Task<Ok<MonitoringStatusView>> SetPaused(MonitorControl control, bool paused)
    {
        await control.SetPausedAsync(paused);
        return TypedResults.Ok(new MonitoringStatusView(!paused, control.LastRunAt, new MonitoringOptions()));
    }
}
