using DomainPlatform.EventBus;
using DomainPlatform.Extraction.Data;
using DomainPlatform.Extraction.Datasets;
using DomainPlatform.Persistence;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Extraction;

internal static class Extensions
{
    public const string ServiceName = "extraction";
    public const string DatabaseName = "extractiondb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExtractionOptions>()
            .BindConfiguration(ExtractionOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ExtractionOptions>, ExtractionOptionsValidator>();
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddEventBus(ServiceName);
        builder.Services.AddGrpcDefaults();
        builder.Services.AddSingleton<SourceStore>();
        builder.Services.AddSingleton<ProfileStore>();
        builder.Services.AddSingleton<DatasetStore>();
        builder.Services.AddSingleton<DatasetBuildSignal>();
        builder.Services.AddHostedService<DatasetBuilder>();
    }
}
