using DomainPlatform.Inference.Runtime;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Inference.Apis;

/// <summary>KV cells of a model's context: those holding a token of a sequence, of those allocated.</summary>
public sealed record KvCellsView(int Used, int Total)
{
    public double Usage => Total == 0 ? 0 : (double)Used / Total;
}

/// <summary>Slots (sequences generated at once): busy of total, and the requests waiting for one.</summary>
public sealed record SlotsView(int Busy, int Total, int Queued);

/// <summary>
/// A loaded model as operators see it: what it holds in memory (weights and KV cache), how much of its KV cache and slots
/// are in use, and where its layers run. Ids in <see cref="SharedWith"/> share these weights, KV cache and slots.
/// </summary>
public sealed record ModelView(
    string Id, string State, string Path, string Sha256, DateTimeOffset LoadedAt,
    long WeightsBytes, long KvCacheBytes, long EstimatedBytes, KvCellsView KvCells, SlotsView Slots, int ContextSize,
    int GpuLayers, int Layers, string Device, IReadOnlyList<string> SharedWith)
{
    /// <summary>Weights plus KV cache: what the model holds for as long as it is loaded (compute buffers aside).</summary>
    public long MemoryBytes => WeightsBytes + KvCacheBytes;

    public static ModelView From(LoadedModelInfo m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var r = m.Resources;
        return new(m.Id, m.State, m.Path, m.Sha256, m.LoadedAt, m.SizeBytes, r.KvCacheBytes, m.EstimatedBytes,
            new KvCellsView(r.KvCellsUsed, r.KvCellsTotal), new SlotsView(m.ActiveRequests, m.ParallelSlots, m.QueuedRequests), m.ContextSize,
            m.GpuLayers, r.OffloadableLayers, r.Device, r.SharedWith);
    }
}

/// <summary>The loaded models and the memory budget they share (<see cref="ModelPool.ReservedBytes"/> counts shared weights once).</summary>
public sealed record ModelsView(long BudgetBytes, long ReservedBytes, IReadOnlyList<ModelView> Models);

public static class ModelsApi
{
    public const string Prefix = "/api/inference";

    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup($"{Prefix}/models").WithTags("Models");
        api.MapGet("/", List).WithName("ListLoadedModels")
            .WithSummary("The loaded models with their memory (weights, KV cache), KV cells and slots in use, GPU layers and device, and the memory budget");
        api.MapGet("/{id}", Get).WithName("GetLoadedModel")
            .WithSummary("One loaded model's figures (404 problem when it is not loaded)");
        return api;
    }

    public static Ok<ModelsView> List(ModelPool pool) =>
        TypedResults.Ok(new ModelsView(pool.BudgetBytes, pool.ReservedBytes, pool.List().Select(ModelView.From).ToList()));

    public static Results<Ok<ModelView>, ProblemHttpResult> Get(string id, ModelPool pool) =>
        pool.Find(id) is { } model
            ? TypedResults.Ok(ModelView.From(model))
            : TypedResults.Problem(title: "Model not loaded", detail: $"No model with the id '{id}' is loaded.", statusCode: StatusCodes.Status404NotFound);
}
