using DomainPlatform.Deployment.Data;
using DomainPlatform.EventBus;
using DomainPlatform.Persistence;

namespace DomainPlatform.Deployment;

internal static class Extensions
{
    public const string ServiceName = "deployment";
    public const string DatabaseName = "deploymentdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddRedisClient();
        builder.AddEventBus(ServiceName);
        builder.Services.AddGrpcDefaults();
        builder.Services.AddSingleton<DomainStore>();
    }
}
