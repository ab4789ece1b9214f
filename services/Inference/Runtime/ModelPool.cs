using System.Collections.Concurrent;
using System.Security.Cryptography;
using DomainPlatform.Inference.Domain;
using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Inference.Runtime;

public enum ModelLoadFailure
{
    InvalidRequest,
    FileNotFound,
    ChecksumMismatch,
    InvalidFile,
    InsufficientMemory,
    AlreadyLoaded,
    RuntimeFailure,
}

/// <summary>A model could not be loaded; the message says why with the figures.</summary>
public sealed class ModelLoadException(ModelLoadFailure failure, string message) : Exception(message)
{
    public ModelLoadFailure Failure { get; } = failure;
}

public enum GenerationFailure
{
    ModelNotFound,
    ModelUnloading,
    InvalidRequest,
    ContextLengthExceeded,
    QueueFull,
}

/// <summary>A generation request was refused before it reached a slot.</summary>
public sealed class GenerationRefusedException(GenerationFailure failure, string message, string? param = null) : Exception(message)
{
    public GenerationFailure Failure { get; } = failure;
    public string? Param { get; } = param;
}

/// <summary>What <see cref="ModelPool.List"/> reports about a model.</summary>
/// <param name="SizeBytes">The weights' bytes (llama_model_size: every tensor's data).</param>
/// <param name="GpuLayers">Layers offloaded to a GPU, of <see cref="Resources"/>' OffloadableLayers.</param>
/// <param name="ContextSize">The context asked for; the cells llama.cpp allocated are <see cref="ModelResources.KvCellsTotal"/>.</param>
/// <param name="ActiveRequests">Slots holding a sequence, of <paramref name="ParallelSlots"/>.</param>
public sealed record LoadedModelInfo(
    string Id, string Path, string Sha256, long SizeBytes, string State, int GpuLayers, int ContextSize, int ParallelSlots,
    int ActiveRequests, int QueuedRequests, long EstimatedBytes, DateTimeOffset LoadedAt, ModelResources Resources);

/// <summary>
/// What a loaded model holds of its device beyond the figures of <see cref="LoadedModelInfo"/>: its KV cache (bytes, and cells
/// in use of those allocated), where its layers run, and the other ids served by the same weights (which then report the
/// same figures: count them once).
/// </summary>
public sealed record ModelResources(long KvCacheBytes, int KvCellsUsed, int KvCellsTotal, int OffloadableLayers, string Device, IReadOnlyList<string> SharedWith);

/// <summary>
/// The models this process serves. Loads check the file (sha256, then the managed GGUF validator, then
/// the memory budget) before llama.cpp opens it, so a bad file is refused and the process stays up. A model id
/// whose file has the same bytes (sha256) and the same settings as a loaded one shares that model: its weights,
/// context, slots and batches. A canary of identical bytes then runs in the very batches of its stable version, so
/// an A/A rollout compares like with like, and it costs no memory.
/// </summary>
public sealed class ModelPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    // One compute scheduler per device, created with its first model: the models of a device take turns.
    private readonly Dictionary<string, DeviceScheduler> _devices = new(StringComparer.Ordinal);
    // Loads and unloads run one at a time so the memory accounting sees a settled sum.
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly InferenceOptions _options;
    private readonly InferenceMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ModelPool> _logger;

    public ModelPool(IOptions<InferenceOptions> options, InferenceMetrics metrics, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ModelPool>();
        BudgetBytes = _options.MemoryBudgetBytes ?? MemoryEstimator.DefaultBudget(AvailableMemoryBytes());
        _metrics.ObserveModels(List);
    }

    public long BudgetBytes { get; }

    public int RetryAfterSeconds => _options.RetryAfterSeconds;

    public long ReservedBytes => _models.Values.Select(m => m.Loaded).Distinct().Sum(m => m.Estimate.TotalBytes);

    public IReadOnlyList<LoadedModelInfo> List() => _models.Values.OrderBy(m => m.Spec.Id, StringComparer.Ordinal).Select(m => m.Describe()).ToList();

    public LoadedModelInfo? Find(string id) => _models.TryGetValue(id, out var model) ? model.Describe() : null;

    /// <summary>Loads a model; an identical spec already loaded is returned as is. Throws <see cref="ModelLoadException"/>.</summary>
    public async Task<LoadedModelInfo> LoadAsync(ModelSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = ModelSpecRules.Validate(spec);
        if (errors.Count > 0)
        {
            throw new ModelLoadException(ModelLoadFailure.InvalidRequest, ModelSpecRules.Describe(errors));
        }
        var path = Path.GetFullPath(spec.Path);
        await _changes.WaitAsync(ct);
        try
        {
            if (!File.Exists(path))
            {
                throw new ModelLoadException(ModelLoadFailure.FileNotFound, $"Model file '{path}' does not exist.");
            }
            var sha256 = await ComputeSha256Async(path, ct);
            if (spec.Sha256 is not null && !string.Equals(sha256, spec.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelLoadException(ModelLoadFailure.ChecksumMismatch,
                    $"Model file '{path}' has sha256 {sha256}, not the expected {spec.Sha256.ToLowerInvariant()}.");
            }
            if (_models.TryGetValue(spec.Id, out var existing))
            {
                if (existing.Spec with { Sha256 = null } == spec with { Path = path, Sha256 = null } && existing.Loaded.Sha256 == sha256)
                {
                    return existing.Describe();
                }
                throw new ModelLoadException(ModelLoadFailure.AlreadyLoaded,
                    $"Model id '{spec.Id}' is already loaded from '{existing.Spec.Path}' with other settings; unload it first.");
            }
            if (_models.Values.FirstOrDefault(m => !m.Unloading && m.Loaded.Serves(spec, sha256)) is { } twin)
            {
                var shared = new ServedModel(spec with { Path = path }, twin.Loaded);
                lock (twin.Loaded.Ids)
                {
                    twin.Loaded.Ids.Add(spec.Id);
                }
                _models[spec.Id] = shared;
                _logger.LogInformation("Model {Model} from {Path} has the bytes and settings of {Twin}: it shares its weights, slots and batches",
                    spec.Id, path, twin.Spec.Id);
                return shared.Describe();
            }

            GgufFile header;
            try
            {
                header = GgufValidator.ValidateFile(path);
            }
            catch (GgufFormatException exception)
            {
                throw new ModelLoadException(ModelLoadFailure.InvalidFile, exception.Message);
            }
            var estimate = MemoryEstimator.Estimate(ModelShape.FromGguf(header), spec.ContextSize, spec.ParallelSlots, _options.BatchSize);
            if (MemoryEstimator.Refusal(spec.Id, estimate, ReservedBytes, BudgetBytes) is { } refusal)
            {
                throw new ModelLoadException(ModelLoadFailure.InsufficientMemory, refusal);
            }

            var loaded = await Task.Run(() => Open(spec with { Path = path }, sha256, estimate), ct);
            var served = new ServedModel(spec with { Path = path }, loaded);
            _models[spec.Id] = served;
            loaded.Scheduler.Start(DeviceOf(loaded.Model));
            _logger.LogInformation(
                "Model {Model} loaded from {Path}: {Slots} slots of {PerSlot} tokens, about {MiB} MiB of the {BudgetMiB} MiB budget",
                spec.Id, path, spec.ParallelSlots, loaded.Context.SequenceContextSize, estimate.TotalBytes >> 20, BudgetBytes >> 20);
            return served.Describe();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Refuses new requests for the model, waits for its in-flight ones, then frees it. False when it is not loaded.</summary>
    public async Task<bool> UnloadAsync(string id, CancellationToken ct)
    {
        await _changes.WaitAsync(ct);
        try
        {
            if (!_models.TryGetValue(id, out var model))
            {
                return false;
            }
            model.Unloading = true;
            var loaded = model.Loaded;
            if (loaded.Ids.Count > 1)
            {
                // Other ids still use the shared model: wait for this id's own requests only.
                await model.InFlightAsync().WaitAsync(ct);
                lock (loaded.Ids)
                {
                    loaded.Ids.Remove(id);
                }
                _models.TryRemove(id, out _);
                _logger.LogInformation("Model {Model} unloaded; its shared weights stay for {Others}", id, string.Join(", ", loaded.Ids));
                return true;
            }
            await loaded.Scheduler.StopAsync().WaitAsync(ct);
            _models.TryRemove(id, out _);
            loaded.Dispose();
            _logger.LogInformation("Model {Model} unloaded", id);
            return true;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Tokenizes the request and queues it on the model's scheduler. Throws <see cref="GenerationRefusedException"/>.</summary>
    public GenerationRequest Submit(GenerationSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!_models.TryGetValue(spec.Model, out var model))
        {
            throw new GenerationRefusedException(GenerationFailure.ModelNotFound, $"The model '{spec.Model}' does not exist or is not loaded.", "model");
        }
        if (model.Unloading)
        {
            throw new GenerationRefusedException(GenerationFailure.ModelUnloading, $"The model '{spec.Model}' is being unloaded.", "model");
        }
        var isChat = spec.Messages is not null;
        string text;
        var loaded = model.Loaded;
        try
        {
            text = isChat ? loaded.Model.ApplyChatTemplate(spec.Messages!) : spec.Prompt ?? "";
        }
        catch (LlamaException exception)
        {
            throw new GenerationRefusedException(GenerationFailure.InvalidRequest, exception.Message, "messages");
        }
        // Chat templates emit control tokens as text; a raw prompt's "<|...|>" stays plain text.
        var tokens = loaded.Model.Vocab.Tokenize(text, addSpecial: true, parseSpecial: isChat);
        if (tokens.Length == 0)
        {
            throw new GenerationRefusedException(GenerationFailure.InvalidRequest, "The prompt is empty.", isChat ? "messages" : "prompt");
        }
        var perSlot = loaded.Context.SequenceContextSize;
        if (tokens.Length >= perSlot)
        {
            throw new GenerationRefusedException(GenerationFailure.ContextLengthExceeded,
                $"The prompt has {tokens.Length} tokens; model '{spec.Model}' holds {perSlot} per request (prompt plus completion).",
                isChat ? "messages" : "prompt");
        }
        var maxTokens = Math.Min(spec.MaxTokens ?? int.MaxValue, perSlot - tokens.Length);
        var request = new GenerationRequest(spec.Model, tokens, spec.Sampling, maxTokens, spec.Stop, spec.IgnoreEos, ct);
        if (!loaded.Scheduler.TryEnqueue(request))
        {
            _metrics.Rejected.Add(1, new KeyValuePair<string, object?>(InferenceMetrics.ModelTag, spec.Model));
            throw new GenerationRefusedException(GenerationFailure.QueueFull,
                $"Model '{spec.Model}' is at capacity ({loaded.Scheduler.Slots} slots busy, {_options.MaxQueueLength} requests queued); retry shortly.");
        }
        model.Track(request);
        return request;
    }

    /// <summary>
    /// Tokenizes the inputs and queues them on the model's scheduler, whose device thread embeds them between generation
    /// steps. Throws <see cref="GenerationRefusedException"/> for an unknown model, a wrong <c>dimensions</c>, a bad or
    /// too long input, or a full queue.
    /// </summary>
    public EmbeddingRequest SubmitEmbeddings(EmbeddingSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!_models.TryGetValue(spec.Model, out var model))
        {
            throw new GenerationRefusedException(GenerationFailure.ModelNotFound, $"The model '{spec.Model}' does not exist or is not loaded.", "model");
        }
        if (model.Unloading)
        {
            throw new GenerationRefusedException(GenerationFailure.ModelUnloading, $"The model '{spec.Model}' is being unloaded.", "model");
        }
        var loaded = model.Loaded;
        var scheduler = loaded.Scheduler;
        if (spec.Dimensions is { } dimensions && dimensions != scheduler.EmbeddingSize)
        {
            throw new GenerationRefusedException(GenerationFailure.InvalidRequest,
                $"Model '{spec.Model}' gives {scheduler.EmbeddingSize}-dimensional embeddings and cannot shorten them; " +
                $"dimensions must be {scheduler.EmbeddingSize} or absent, was {dimensions}.", "dimensions");
        }
        var vocab = loaded.Model.Vocab;
        var limit = scheduler.EmbeddingTokenLimit;
        var inputs = new int[spec.Inputs.Count][];
        for (var i = 0; i < inputs.Length; i++)
        {
            var param = spec.Inputs.Count == 1 ? "input" : $"input[{i}]";
            var input = spec.Inputs[i];
            // The BOS llama.cpp's server adds too; token ids are taken as they are.
            var tokens = input.Tokens ?? vocab.Tokenize(input.Text!, addSpecial: true, parseSpecial: false);
            if (tokens.Length == 0)
            {
                throw new GenerationRefusedException(GenerationFailure.InvalidRequest, $"'{param}' has no tokens; there is nothing to embed.", param);
            }
            if (tokens.Length > limit)
            {
                throw new GenerationRefusedException(GenerationFailure.ContextLengthExceeded,
                    $"'{param}' has {tokens.Length} tokens; model '{spec.Model}' embeds at most {limit} tokens per input.", param);
            }
            if (input.Tokens is not null && Array.FindIndex(tokens, t => t >= vocab.Count) is var outside and >= 0)
            {
                throw new GenerationRefusedException(GenerationFailure.InvalidRequest,
                    $"'{param}' holds token id {tokens[outside]}, outside the vocabulary of model '{spec.Model}' (0..{vocab.Count - 1}).", param);
            }
            inputs[i] = tokens;
        }
        var request = new EmbeddingRequest(spec.Model, inputs, ct);
        if (!scheduler.TryEnqueue(request))
        {
            _metrics.Rejected.Add(1, new KeyValuePair<string, object?>(InferenceMetrics.ModelTag, spec.Model));
            throw new GenerationRefusedException(GenerationFailure.QueueFull,
                $"Model '{spec.Model}' is at capacity ({scheduler.Slots + _options.MaxQueueLength} embedding requests waiting); retry shortly.");
        }
        model.Track(request);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var model in _models.Values)
        {
            model.Unloading = true;
        }
        foreach (var loaded in _models.Values.Select(m => m.Loaded).Distinct())
        {
            await loaded.Scheduler.StopAsync();
            loaded.Dispose();
        }
        _models.Clear();
        foreach (var device in _devices.Values)
        {
            device.Dispose();
        }
        _devices.Clear();
        _changes.Dispose();
    }

    /// <summary>The scheduler of the device the model's layers are on; called under <see cref="_changes"/>.</summary>
    private DeviceScheduler DeviceOf(LlamaModel model)
    {
        var name = model.GpuLayersPlaced > 0 ? "gpu" : "cpu";
        if (!_devices.TryGetValue(name, out var device))
        {
            device = new DeviceScheduler(name);
            _devices[name] = device;
        }
        return device;
    }

    private LoadedModel Open(ModelSpec spec, string sha256, MemoryEstimate estimate)
    {
        LlamaModel? model = null;
        LlamaContext? context = null;
        try
        {
            // The managed validator has already read the file; llama.cpp loads it next.
            model = LlamaModel.Load(spec.Path, new LlamaModelOptions { GpuLayers = spec.GpuLayers, ValidateGguf = false });
            context = model.CreateContext(new LlamaContextOptions
            {
                ContextSize = spec.ContextSize,
                BatchSize = _options.BatchSize,
                MicroBatchSize = _options.BatchSize,
                MaxSequences = spec.ParallelSlots,
                Threads = _options.Threads,
            });
            WarmUp(context);
            var scheduler = new ModelScheduler(spec.Id, context, _options.MaxQueueLength, _options.PrefillChunkTokens, _metrics,
                _loggerFactory.CreateLogger($"{typeof(ModelScheduler).FullName}.{spec.Id}"));
            return new LoadedModel(spec, sha256, estimate, model, context, scheduler);
        }
        catch (Exception exception) when (exception is LlamaException or ArgumentException)
        {
            context?.Dispose();
            model?.Dispose();
            throw new ModelLoadException(ModelLoadFailure.RuntimeFailure, $"llama.cpp could not load model '{spec.Id}': {exception.Message}");
        }
    }

    /// <summary>
    /// One throw-away decode before the model takes requests, as llama-server does at load: the first decode of a
    /// context pays its first touch of the weights and buffers (over a second for a canary just loaded), and that
    /// request's latency would count against the new version in its first rollout step.
    /// </summary>
    private static void WarmUp(LlamaContext context)
    {
        var vocab = context.Model.Vocab;
        using var batch = new LlamaBatch(2);
        batch.Add(Math.Max(vocab.Bos, 0), 0, 0, computeLogits: false);
        batch.Add(Math.Max(vocab.Eos, 0), 1, 0, computeLogits: true);
        var status = context.TryDecode(batch, out var code);
        context.RemoveSequence(0);
        if (status != LlamaDecodeStatus.Success)
        {
            throw new LlamaException($"The warm-up decode failed ({status}, {code}).");
        }
    }

    private static async Task<string> ComputeSha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>Free memory of the GPUs when one is present, else of the machine (MemAvailable).</summary>
    private static long AvailableMemoryBytes()
    {
        var runtime = LlamaRuntime.Info;
        var gpuFree = runtime.Devices.Where(d => d.Kind is LlamaDeviceKind.Gpu).Sum(d => (long)d.FreeBytes);
        if (gpuFree > 0)
        {
            return gpuFree;
        }
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                    && long.TryParse(line["MemAvailable:".Length..].Trim().Split(' ')[0], out var kib))
                {
                    return kib * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux: fall back to what the GC sees.
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>One model id: its own spec, served by a loaded model it may share with other ids.</summary>
    private sealed class ServedModel(ModelSpec spec, LoadedModel loaded)
    {
        private readonly ConcurrentDictionary<Task, byte> _inFlight = new();

        public ModelSpec Spec { get; } = spec;
        public LoadedModel Loaded { get; } = loaded;
        public DateTimeOffset LoadedAt { get; } = DateTimeOffset.UtcNow;
        public volatile bool Unloading;

        public void Track(GenerationRequest request) => Track(request.Completed);

        public void Track(EmbeddingRequest request) => Track(request.Result);

        private void Track(Task completed)
        {
            _inFlight[completed] = 0;
            completed.ContinueWith(_ => _inFlight.TryRemove(completed, out byte _),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>Completes when every request submitted under this id has ended (successfully or not).</summary>
        public Task InFlightAsync() => Task.WhenAll(_inFlight.Keys.Select(t => t.ContinueWith(static _ => { },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)));

        public LoadedModelInfo Describe()
        {
            var model = Loaded.Model;
            var scheduler = Loaded.Scheduler;
            var resources = new ModelResources(scheduler.KvCacheBytes, scheduler.KvCellsUsed, scheduler.KvCellsTotal, model.LayerCount + 1, model.Device,
                Loaded.OtherIds(Spec.Id));
            return new(Spec.Id, Spec.Path, Loaded.Sha256, (long)model.SizeBytes, Unloading ? "unloading" : "ready", model.GpuLayersPlaced,
                Spec.ContextSize, Spec.ParallelSlots, scheduler.ActiveCount, scheduler.QueuedCount, Loaded.Estimate.TotalBytes, LoadedAt, resources);
        }
    }

    private sealed class LoadedModel(ModelSpec spec, string sha256, MemoryEstimate estimate, LlamaModel model, LlamaContext context, ModelScheduler scheduler)
        : IDisposable
    {
        public ModelSpec Spec { get; } = spec;
        public string Sha256 { get; } = sha256;
        public MemoryEstimate Estimate { get; } = estimate;
        public LlamaModel Model { get; } = model;
        public LlamaContext Context { get; } = context;
        public ModelScheduler Scheduler { get; } = scheduler;
        /// <summary>The ids served by this model; changed under the pool's load/unload lock.</summary>
        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal) { spec.Id };

        /// <summary>The ids besides <paramref name="id"/> this model serves, in order (a snapshot: the set changes under the pool's lock only).</summary>
        public IReadOnlyList<string> OtherIds(string id)
        {
            lock (Ids)
            {
                return Ids.Where(other => other != id).Order(StringComparer.Ordinal).ToList();
            }
        }

        /// <summary>Whether a load of these bytes with these settings can be served by this model.</summary>
        public bool Serves(ModelSpec other, string otherSha256) =>
            otherSha256 == Sha256 && other.ContextSize == Spec.ContextSize && other.ParallelSlots == Spec.ParallelSlots && other.GpuLayers == Spec.GpuLayers;

        public void Dispose()
        {
            Scheduler.Dispose();
            Context.Dispose();
            Model.Dispose();
        }
    }
}
