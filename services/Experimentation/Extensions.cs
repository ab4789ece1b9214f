using System.Text.Json.Serialization;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Experimentation.Events;
using DomainPlatform.Experimentation.Monitoring;
using DomainPlatform.Experimentation.Notifications;
using DomainPlatform.Experimentation.Reports;
using DomainPlatform.Persistence;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation;

internal static class Extensions
{
    public const string ServiceName = "experimentation";
    public const string DatabaseName = "experimentationdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddRedisCache();
        builder.AddEventBus(ServiceName, bus =>
        {
            bus.AddConsumer<InferenceCompletedConsumer>();
            bus.AddConsumer<FeedbackReceivedConsumer>();
            bus.AddConsumer<AlertWebhookConsumer>();
        });
        builder.Services.AddGrpcDefaults();
        builder.Services.AddSingleton<ExperimentStore>();
        builder.Services.AddSingleton<MetricStore>();
        builder.Services.AddSingleton<ExperimentAnalyzer>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AlertStore>();
        builder.Services.AddSingleton<MonitorControl>();
        builder.Services.AddOptions<MonitoringOptions>().BindConfiguration("Monitoring")
            .Validate(o => o.IsValid(), "Monitoring thresholds must be positive and ordered warning <= critical <= emergency.").ValidateOnStart();
        builder.Services.AddSingleton<EarlyWarnings>();
        builder.Services.AddHostedService<AlertMonitor>();
        builder.Services.AddSingleton<HealthStore>();
        builder.Services.AddSingleton<HealthAnalyzer>();
        builder.Services.AddSingleton<SlaWatch>();
        builder.Services.AddSingleton<MetricsReader>();
        builder.Services.AddSingleton<ReportStore>();
        builder.Services.AddSingleton<ReportGenerator>();
        builder.Services.AddSingleton<ReportSignal>();
        builder.Services.AddOptions<ReportOptions>().BindConfiguration("Reports")
            .Validate(o => o.IsValid(), "Reports: PollSeconds and ScheduleIntervalSeconds in (0, 3600], LeaseSeconds 5..86400.").ValidateOnStart();
        builder.Services.AddSingleton<ReportWorker>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ReportWorker>());
        builder.Services.AddSingleton<ReportScheduler>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ReportScheduler>());
        builder.Services.AddOptions<HealthOptions>().BindConfiguration("Health")
            .Validate(o => o.IsValid(), "Health: weights finite, at least 0 and not all 0; ViolationAlertLevel WARNING, CRITICAL or EMERGENCY; default targets in the SLA ranges.").ValidateOnStart();
        builder.Services.AddOptions<CostOptions>().BindConfiguration("Costs")
            .Validate(o => o.Problem() is null, "Costs: prices per 1000 tokens finite and at least 0, each Prices entry names a domain, at most one price per domain and version, a currency.").ValidateOnStart();
        builder.AddAlertChannels();
        builder.Services.AddSingleton<RoutingStore>();
        builder.Services.AddOptions<RoutingOptions>().BindConfiguration("Routing")
            .Validate(o => o.IsValid(), "Routing: PublishIntervalSeconds > 0, LatencyPenaltyPerSecond >= 0, Draws 100..1,000,000.").ValidateOnStart();
        builder.Services.AddHostedService<RoutingPublisher>();
        // Statistics can be NaN or infinite (an interval before any data): write them rather than fail the response.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals);
    }

    /// <summary>Alerts to Slack, PagerDuty, e-mail and webhooks (section Alerting), with the delivery log.</summary>
    private static void AddAlertChannels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertingOptions>().BindConfiguration("Alerting").ValidateOnStart();
        // Says which channel and field is wrong, not only that something is.
        builder.Services.AddSingleton<IValidateOptions<AlertingOptions>, AlertingOptionsValidator>();
        builder.Services.AddSingleton<AlertChannelSender>();
        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton<AlertDispatcher>();
    }
}
