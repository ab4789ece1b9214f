using System.Text.Json.Serialization;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Events;
using DomainPlatform.Persistence;

namespace DomainPlatform.Experimentation;

internal static class Extensions
{
    public const string ServiceName = "experimentation";
    public const string DatabaseName = "experimentationdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddRedisClient();
        builder.AddEventBus(ServiceName, bus =>
        {
            bus.AddConsumer<InferenceCompletedConsumer>();
            bus.AddConsumer<FeedbackReceivedConsumer>();
        });
        builder.Services.AddGrpcDefaults();
        builder.Services.AddSingleton<ExperimentStore>();
        builder.Services.AddSingleton<MetricStore>();
        builder.Services.AddSingleton<ExperimentAnalyzer>();
        builder.Services.AddSingleton(TimeProvider.System);
        // Statistics can be NaN or infinite (an interval before any data): write them rather than fail the response.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals);
    }
}
