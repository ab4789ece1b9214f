using DomainPlatform.EventBus;
using DomainPlatform.Persistence;
using DomainPlatform.Training.Data;
using DomainPlatform.Training.Events;
using DomainPlatform.Training.Jobs;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training;

internal static class Extensions
{
    public const string ServiceName = "training";
    public const string DatabaseName = "trainingdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TrainingOptions>, TrainingOptionsValidator>();
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddEventBus(ServiceName, bus => bus.AddConsumer<DatasetReadyConsumer>());
        builder.Services.AddGrpcDefaults();
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<JobSignal>();
        // The placeholder until llama.cpp fine-tuning is bound: see docs/training.md.
        // The trainer is chosen by configuration; Training:Trainer is validated at start with the other options.
        builder.Services.AddSingleton<DatasetValidationTrainer>();
        builder.Services.AddSingleton<LlamaFineTuneTrainer>();
        builder.Services.AddSingleton<ITrainer>(sp => sp.GetRequiredService<IOptions<TrainingOptions>>().Value.Trainer == "llama-finetune"
            ? sp.GetRequiredService<LlamaFineTuneTrainer>()
            : sp.GetRequiredService<DatasetValidationTrainer>());
        builder.Services.AddHostedService<JobRunner>();
    }
}
