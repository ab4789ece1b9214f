using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DomainPlatform.Inference.Runtime;

/// <summary>The service's OpenTelemetry instruments and its activity source (exported by ServiceDefaults' DomainPlatform.* rule).</summary>
public sealed class InferenceMetrics
{
    public const string MeterName = "DomainPlatform.Inference";
    public const string ModelTag = "gen_ai.request.model";
    public const string VariantTag = "inference.variant";
    public const string FinishReasonTag = "gen_ai.response.finish_reason";
    public const string DeviceTag = "inference.device";

    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly ConcurrentDictionary<string, ModelScheduler> _schedulers = new(StringComparer.Ordinal);
    private Func<IReadOnlyList<LoadedModelInfo>> _models = () => [];

    public InferenceMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        TimeToFirstToken = meter.CreateHistogram<double>("inference.time_to_first_token", "s", "From arrival to the first generated token.");
        TokensPerSecond = meter.CreateHistogram<double>("inference.decode.tokens_per_second", "{token}/s", "Completion tokens per second of generation, per request.");
        QueueWait = meter.CreateHistogram<double>("inference.queue.wait", "s", "Time a request waited for a free slot.");
        BatchOccupancy = meter.CreateHistogram<double>("inference.batch.occupancy", "1", "Share of a model's slots that took part in one decode step.");
        BatchTokens = meter.CreateHistogram<int>("inference.batch.tokens", "{token}", "Tokens in one llama_decode call.");
        PromptTokens = meter.CreateCounter<long>("inference.prompt_tokens", "{token}", "Prompt tokens processed.");
        CompletionTokens = meter.CreateCounter<long>("inference.completion_tokens", "{token}", "Tokens generated.");
        Requests = meter.CreateCounter<long>("inference.requests", "{request}", "Finished requests by finish reason.");
        EmbeddingTokens = meter.CreateCounter<long>("inference.embeddings.tokens", "{token}", "Input tokens of finished embedding requests.");
        EmbeddingBatchInputs = meter.CreateHistogram<int>("inference.embeddings.batch.inputs", "{input}", "Inputs pooled in one embedding decode.");
        Rejected = meter.CreateCounter<long>("inference.requests.rejected", "{request}", "Requests refused because the model's queue was full.");
        meter.CreateObservableGauge("inference.kv_cache.usage", ObserveKvUsage, "1", "Share of a model's KV cache cells holding tokens.");
        meter.CreateObservableGauge("inference.queue.depth", ObserveQueueDepth, "{request}", "Requests waiting for a slot.");
        meter.CreateObservableGauge("inference.slots.active", ObserveActiveSlots, "{sequence}", "Slots holding a sequence.");
        // Per model id from the pool's listing (ids sharing one model's weights report the same figures).
        meter.CreateObservableGauge("inference.model.weights.size", () => PerModel(m => m.SizeBytes), "By", "Bytes of a model's weights.");
        meter.CreateObservableGauge("inference.kv_cache.size", () => PerModel(m => m.Resources.KvCacheBytes), "By", "Bytes of the KV cache allocated for a model's context.");
        meter.CreateObservableGauge("inference.kv_cache.cells.used", () => PerModel(m => m.Resources.KvCellsUsed), "{cell}", "KV cells holding a token of a sequence.");
        meter.CreateObservableGauge("inference.kv_cache.cells.limit", () => PerModel(m => m.Resources.KvCellsTotal), "{cell}", "KV cells allocated for a model's context.");
        meter.CreateObservableGauge("inference.slots.limit", () => PerModel(m => m.ParallelSlots), "{sequence}", "Sequences a model can hold at once.");
        meter.CreateObservableGauge("inference.model.gpu_layers", ObserveGpuLayers, "{layer}", "Layers of a model offloaded to a GPU, tagged with the device they run on.");
    }

    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> TokensPerSecond { get; }
    public Histogram<double> QueueWait { get; }
    public Histogram<double> BatchOccupancy { get; }
    public Histogram<int> BatchTokens { get; }
    public Counter<long> PromptTokens { get; }
    public Counter<long> CompletionTokens { get; }
    public Counter<long> Requests { get; }
    public Counter<long> Rejected { get; }
    public Counter<long> EmbeddingTokens { get; }
    public Histogram<int> EmbeddingBatchInputs { get; }

    /// <summary>Where the per-model gauges read the loaded models (the pool, once built).</summary>
    internal void ObserveModels(Func<IReadOnlyList<LoadedModelInfo>> models) => _models = models;

    internal void Track(ModelScheduler scheduler) => _schedulers[scheduler.ModelId] = scheduler;

    internal void Untrack(ModelScheduler scheduler) => _schedulers.TryRemove(new KeyValuePair<string, ModelScheduler>(scheduler.ModelId, scheduler));

    private IEnumerable<Measurement<double>> ObserveKvUsage() =>
        _schedulers.Values.Select(s => new Measurement<double>(s.KvUsage, new KeyValuePair<string, object?>(ModelTag, s.ModelId)));

    private IEnumerable<Measurement<long>> PerModel(Func<LoadedModelInfo, long> value) =>
        _models().Select(m => new Measurement<long>(value(m), new KeyValuePair<string, object?>(ModelTag, m.Id)));

    private IEnumerable<Measurement<int>> ObserveGpuLayers() =>
        _models().Select(m => new Measurement<int>(m.GpuLayers, new KeyValuePair<string, object?>(ModelTag, m.Id), new KeyValuePair<string, object?>(DeviceTag, m.Resources.Device)));

    private IEnumerable<Measurement<int>> ObserveQueueDepth() =>
        _schedulers.Values.Select(s => new Measurement<int>(s.QueuedCount, new KeyValuePair<string, object?>(ModelTag, s.ModelId)));

    private IEnumerable<Measurement<int>> ObserveActiveSlots() =>
        _schedulers.Values.Select(s => new Measurement<int>(s.ActiveCount, new KeyValuePair<string, object?>(ModelTag, s.ModelId)));
}
