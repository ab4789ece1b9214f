using DomainPlatform.Inference.Data;
using DomainPlatform.Inference.Runtime;
using DomainPlatform.LlamaCpp;
using DomainPlatform.Persistence;

namespace DomainPlatform.Inference;

internal static class Extensions
{
    public const string ServiceName = "inference";
    public const string DatabaseName = "inferencedb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.Services.AddGrpcDefaults();
        builder.Services.AddOptions<InferenceOptions>()
            .Bind(builder.Configuration.GetSection(InferenceOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddSingleton(services =>
        {
            // llama.cpp is loaded once per process; its device report goes to this service's log.
            LlamaRuntime.Initialize(new LlamaRuntimeOptions { Logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("DomainPlatform.LlamaCpp") });
            return ActivatorUtilities.CreateInstance<ModelPool>(services);
        });
        builder.Services.AddSingleton<ModelStore>();
        builder.Services.AddHostedService<StartupModelLoader>();
    }
}
