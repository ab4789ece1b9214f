using DomainPlatform.Inference.Data;
using DomainPlatform.Inference.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Inference.Runtime;

/// <summary>
/// Loads the configured models, the demo model and the models an earlier run loaded through gRPC.
/// A model that fails to load is logged and skipped: the service still serves the others.
/// </summary>
public sealed class StartupModelLoader(ModelPool pool, ModelStore store, IOptions<InferenceOptions> options, ILogger<StartupModelLoader> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var specs = new List<ModelSpec>();
        specs.AddRange(options.Value.Models.Select(m => m.ToSpec()));
        if (options.Value.DemoModel is { Length: > 0 } demo)
        {
            if (File.Exists(demo))
            {
                specs.Add(new ModelSpec(InferenceOptions.DemoModelId, demo, null, ModelSpec.AllLayers, ModelSpec.DefaultContextSize, ModelSpec.DefaultParallelSlots));
            }
            else
            {
                logger.LogWarning("Demo model {Path} does not exist; no model is served under the id 'demo'", demo);
            }
        }
        try
        {
            var remembered = await store.ListAsync(stoppingToken);
            specs.AddRange(remembered.Where(row => specs.All(s => s.Id != row.Id)).Select(row => row.ToSpec()));
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogError(exception, "Could not read the models loaded before the restart; only configured models are loaded");
        }

        foreach (var spec in specs)
        {
            try
            {
                await pool.LoadAsync(spec, stoppingToken);
            }
            catch (ModelLoadException exception)
            {
                logger.LogError("Model {Model} was not loaded ({Failure}): {Reason}", spec.Id, exception.Failure, exception.Message);
            }
        }
    }
}
