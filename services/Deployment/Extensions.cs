using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Events;
using DomainPlatform.Deployment.Rollouts;
using DomainPlatform.EventBus;
using DomainPlatform.Persistence;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.Protos.Inference;

namespace DomainPlatform.Deployment;

internal static class Extensions
{
    public const string ServiceName = "deployment";
    public const string DatabaseName = "deploymentdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddRedisCache();
        builder.AddEventBus(ServiceName, bus =>
        {
            bus.AddConsumer<TrainingCompletedConsumer>();
            bus.AddConsumer<ExperimentTrafficChangedConsumer>();
            bus.AddConsumer<ExperimentConcludedConsumer>();
            bus.AddConsumer<AlertRaisedConsumer>();
        });
        builder.Services.AddGrpcDefaults();

        builder.Services.AddOptions<DeploymentOptions>().BindConfiguration(DeploymentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddServiceGrpcClient<InferenceRuntime.InferenceRuntimeClient>("inference");
        builder.Services.AddServiceGrpcClient<CanaryAnalysis.CanaryAnalysisClient>("experimentation");

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DomainCache>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<RouteTables>();
        builder.Services.AddSingleton<DomainService>();
        builder.Services.AddSingleton<VersionRegistry>();
        builder.Services.AddSingleton<InferenceControl>();
        builder.Services.AddKeyedSingleton(ModelDrain.ClockKey, TimeProvider.System);
        builder.Services.AddSingleton<ModelDrain>();
        builder.Services.AddSingleton<TrafficRates>();
        builder.Services.AddSingleton<DeploymentService>();
        builder.Services.AddSingleton<ExperimentTraffic>();
        builder.Services.AddSingleton<RolloutController>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RolloutController>());
        builder.Services.AddSingleton<WatchController>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WatchController>());
    }
}
