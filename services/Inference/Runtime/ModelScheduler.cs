using System.Diagnostics;
using DomainPlatform.Inference.Domain;
using DomainPlatform.LlamaCpp;

namespace DomainPlatform.Inference.Runtime;

/// <summary>
/// Continuous batching for one model. Each step puts one token of every generating sequence plus a bounded
/// chunk of pending prompts into ONE batch, calls llama_decode once and samples each sequence with its own
/// sampler chain. Queued requests take free slots between steps; a finished or cancelled sequence frees its
/// slot and KV cells at once. The steps run on the thread of the <see cref="DeviceScheduler"/> of the model's
/// device, which takes the steps of all the device's models in turns: only that thread touches the context.
/// Embedding requests run on the same thread in a second context of their own (created with the first of them,
/// embeddings on, pooled), one embedding decode between two generation steps: generation's context, slots and
/// batches never see them, and no two decodes of the device ever run at once.
/// </summary>
public sealed class ModelScheduler : IDisposable
{
    /// <summary>Most inputs one embedding decode pools (each its own sequence of the embedding context).</summary>
    public const int EmbeddingSequencesPerDecode = 32;

    private readonly LlamaContext _context;
    private readonly InferenceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _prefillChunk;
    private readonly int _maxQueue;
    private readonly Lock _gate = new();
    private readonly LinkedList<GenerationRequest> _queue = new();
    private readonly LinkedList<EmbeddingRequest> _embeddings = new();
    private readonly GenerationRequest?[] _slots;
    private readonly LlamaBatch _batch;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DeviceScheduler? _device;
    private readonly KeyValuePair<string, object?> _modelTag;
    private int _active;
    private int _kvCells;
    private long _busyTicks;
    private bool _stopping;
    // The embedding context and its batch, created on the device thread with the first embedding request.
    private LlamaContext? _embeddingContext;
    private LlamaBatch? _embeddingBatch;
    private string? _embeddingUnavailable;
    private bool _embeddedLast;

    public ModelScheduler(string modelId, LlamaContext context, int maxQueue, int prefillChunk, InferenceMetrics metrics, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefillChunk, 1);
        ModelId = modelId;
        _context = context;
        _maxQueue = maxQueue;
        _prefillChunk = prefillChunk;
        _metrics = metrics;
        _logger = logger;
        _slots = new GenerationRequest?[context.MaxSequences];
        _modelTag = new KeyValuePair<string, object?>(InferenceMetrics.ModelTag, modelId);
        _batch = new LlamaBatch(context.BatchSize);
        // An input is pooled within one micro-batch, and holds no more than a generation request may.
        EmbeddingTokenLimit = Math.Min(context.SequenceContextSize, context.BatchSize);
    }

    /// <summary>Most tokens one embedding input may hold.</summary>
    public int EmbeddingTokenLimit { get; }
    /// <summary>Length of the model's embeddings.</summary>
    public int EmbeddingSize => _context.Model.EmbeddingOutputSize;

    public string ModelId { get; }
    public int Slots => _slots.Length;
    public int ActiveCount => Volatile.Read(ref _active);
    public int QueuedCount { get { lock (_gate) { return _queue.Count; } } }
    /// <summary>Requests queued or generating.</summary>
    public int InFlight { get { lock (_gate) { return _queue.Count + _active + _embeddings.Count; } } }
    public double KvUsage => (double)KvCellsUsed / KvCellsTotal;
    /// <summary>KV cells holding a token of a sequence (prompt and completion so far), as of the last step or freed sequence.</summary>
    public int KvCellsUsed => Volatile.Read(ref _kvCells);
    /// <summary>KV cells of the context, every slot's share together.</summary>
    public int KvCellsTotal => _context.ContextSize;
    /// <summary>Bytes of the KV cache llama.cpp allocated for the context.</summary>
    public long KvCacheBytes => _context.KvCacheBytes;
    /// <summary>Stopwatch ticks the device has spent in this model's steps (its share of <see cref="DeviceScheduler.BusyTicks"/>).</summary>
    public long BusyTicks => Interlocked.Read(ref _busyTicks);

    internal void AddBusyTicks(long ticks) => Interlocked.Add(ref _busyTicks, ticks);

    /// <summary>Device time other models took since the request was queued, in milliseconds (called on the device thread).</summary>
    private double SharedDeviceMs(GenerationRequest request)
    {
        if (_device is null) return 0;
        var others = (_device.BusyTicks - request.DeviceBusyAtEnqueue) - (BusyTicks - request.ModelBusyAtEnqueue);
        return Math.Max(0, others) * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>Completes when the model's last step has run (after <see cref="StopAsync"/>).</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Hands the model to its device's scheduler, which runs its steps from now on.</summary>
    public void Start(DeviceScheduler device)
    {
        _metrics.Track(this);
        _device = device;
        device.Add(this);
    }

    /// <summary>Queues a request; false when every slot is busy and the queue is full.</summary>
    public bool TryEnqueue(GenerationRequest request)
    {
        // Registered before the request is visible to the decode thread, so completing it always releases the registration.
        request.CancellationWakeup = request.Cancellation.UnsafeRegister(static state => ((ModelScheduler)state!).Wake(), this);
        lock (_gate)
        {
            if (_stopping || _queue.Count + _active >= _slots.Length + _maxQueue)
            {
                request.CancellationWakeup.Dispose();
                return false;
            }
            request.EnqueuedAt = Stopwatch.GetTimestamp();
            request.ModelBusyAtEnqueue = BusyTicks;
            request.DeviceBusyAtEnqueue = _device?.BusyTicks ?? 0;
            _queue.AddLast(request);
        }
        Wake();
        return true;
    }

    /// <summary>Queues an embedding request; false when as many are waiting as the model takes generation requests (slots plus queue).</summary>
    public bool TryEnqueue(EmbeddingRequest request)
    {
        request.CancellationWakeup = request.Cancellation.UnsafeRegister(static state => ((ModelScheduler)state!).Wake(), this);
        lock (_gate)
        {
            if (_stopping || _embeddings.Count >= _slots.Length + _maxQueue)
            {
                request.CancellationWakeup.Dispose();
                return false;
            }
            _embeddings.AddLast(request);
        }
        Wake();
        return true;
    }

    /// <summary>Refuses new requests, lets queued and running ones finish, then ends the decode thread.</summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            _stopping = true;
        }
        Wake();
        return _stopped.Task;
    }

    public void Dispose()
    {
        _metrics.Untrack(this);
        _batch.Dispose();
        _embeddingBatch?.Dispose();
        _embeddingContext?.Dispose();
    }

    private void Wake() => _device?.Wake();

    /// <summary>
    /// One turn on the device's thread: admits queued requests, drops cancelled ones and runs one decode step
    /// when a sequence is active. A model whose loop fails ends its own requests with the error; the device's
    /// other models go on.
    /// </summary>
    internal StepOutcome RunTurn()
    {
        try
        {
            if (!Admit())
            {
                _stopped.TrySetResult();
                return StepOutcome.Stopped;
            }
            ReapCancelled();
            var generating = Volatile.Read(ref _active) > 0;
            // Embedding decodes and generation steps alternate, so neither kind of request starves the other.
            if (HasEmbeddings() && (!generating || !_embeddedLast))
            {
                Embed();
                _embeddedLast = true;
                return StepOutcome.Stepped;
            }
            if (!generating)
            {
                return StepOutcome.Idle;
            }
            Step(_batch);
            _embeddedLast = false;
            return StepOutcome.Stepped;
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "The decode loop of model {Model} failed; its requests end with an error", ModelId);
            FailEverything(exception.Message);
            _stopped.TrySetResult();
            return StepOutcome.Stopped;
        }
    }

    /// <summary>Moves queued requests into free slots; false once stopping and nothing is left.</summary>
    private bool Admit()
    {
        List<GenerationRequest> admitted = [];
        List<GenerationRequest> cancelled = [];
        lock (_gate)
        {
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Cancellation.IsCancellationRequested)
                {
                    cancelled.Add(node.Value);
                    _queue.Remove(node);
                }
                node = next;
            }
            for (var slot = 0; slot < _slots.Length && _queue.First is not null; slot++)
            {
                if (_slots[slot] is not null)
                {
                    continue;
                }
                var request = _queue.First.Value;
                _queue.RemoveFirst();
                request.Slot = slot;
                _slots[slot] = request;
                _active++;
                admitted.Add(request);
            }
            if (_stopping && _active == 0 && _queue.Count == 0 && _embeddings.Count == 0)
            {
                return false;
            }
        }
        foreach (var request in cancelled)
        {
            request.Complete(FinishReasons.Cancelled);
            _metrics.Requests.Add(1, Tag(request), new(InferenceMetrics.FinishReasonTag, FinishReasons.Cancelled));
        }
        foreach (var request in admitted)
        {
            request.AdmittedAt = Stopwatch.GetTimestamp();
            _metrics.QueueWait.Record(Stopwatch.GetElapsedTime(request.EnqueuedAt, request.AdmittedAt).TotalSeconds, Tag(request));
            _metrics.PromptTokens.Add(request.Prompt.Length, Tag(request));
            // The slot may still hold cells of an earlier sequence that ended abnormally.
            _context.RemoveSequence(request.Slot);
            try
            {
                request.Sampler = LlamaSampler.Create(request.Sampling, _context.Model.Vocab.Count);
            }
            catch (Exception exception) when (exception is ArgumentException or LlamaException)
            {
                Finish(request, FinishReasons.Error, $"The sampler could not be built: {exception.Message}");
            }
        }
        return true;
    }

    private bool HasEmbeddings()
    {
        lock (_gate)
        {
            return _embeddings.Count > 0;
        }
    }

    /// <summary>
    /// One embedding decode: the next inputs in arrival order (a request's inputs may span several decodes), as many as
    /// fit one micro-batch and the embedding context's sequences. Cancelled requests are dropped first.
    /// </summary>
    private void Embed()
    {
        List<EmbeddingRequest> finished = [];
        List<(EmbeddingRequest Request, int Input)> taken = [];
        lock (_gate)
        {
            var tokens = 0;
            for (var node = _embeddings.First; node is not null;)
            {
                var next = node.Next;
                var request = node.Value;
                if (request.Cancellation.IsCancellationRequested || _embeddingUnavailable is not null)
                {
                    _embeddings.Remove(node);
                    finished.Add(request);
                    node = next;
                    continue;
                }
                while (request.Taken < request.Inputs.Length && taken.Count < EmbeddingSequencesPerDecode
                       && tokens + request.Inputs[request.Taken].Length <= EmbeddingTokenLimit)
                {
                    tokens += request.Inputs[request.Taken].Length;
                    taken.Add((request, request.Taken));
                    request.Taken++;
                }
                if (request.Taken < request.Inputs.Length)
                {
                    break;
                }
                node = next;
            }
        }
        foreach (var request in finished)
        {
            if (_embeddingUnavailable is { } reason)
            {
                request.Fail(reason);
            }
            else
            {
                request.Cancel();
            }
        }
        if (taken.Count == 0)
        {
            return;
        }

        float[][] vectors;
        try
        {
            if (_embeddingContext is null)
            {
                _embeddingContext = LlamaEmbedder.CreateContext(_context.Model, EmbeddingTokenLimit, EmbeddingSequencesPerDecode, _context.Threads);
                _embeddingBatch = new LlamaBatch(_embeddingContext.BatchSize);
                _logger.LogInformation("Model {Model}: embedding context of {Tokens} tokens, {Pooling} pooling, {Size} dimensions",
                    ModelId, _embeddingContext.ContextSize, _embeddingContext.Pooling, EmbeddingSize);
            }
            vectors = LlamaEmbedder.Embed(_embeddingContext, _embeddingBatch!, taken.Select(t => t.Request.Inputs[t.Input]).ToList());
        }
        catch (Exception exception) when (exception is LlamaException or ArgumentException)
        {
            _logger.LogError(exception, "Embedding failed for model {Model}; failing the {Count} requests of the batch", ModelId, taken.Select(t => t.Request).Distinct().Count());
            if (_embeddingContext is null)
            {
                // Without a context no embedding can run: refuse the ones queued and those to come.
                _embeddingUnavailable = $"Model '{ModelId}' cannot compute embeddings: {exception.Message}";
            }
            foreach (var request in taken.Select(t => t.Request).Distinct())
            {
                lock (_gate)
                {
                    _embeddings.Remove(request);
                }
                request.Fail($"Embedding failed: {exception.Message}");
            }
            return;
        }

        _metrics.EmbeddingBatchInputs.Record(taken.Count, _modelTag);
        for (var i = 0; i < taken.Count; i++)
        {
            var (request, input) = taken[i];
            request.Vectors[input] = vectors[i];
            request.Done++;
            if (request.Done == request.Inputs.Length)
            {
                lock (_gate)
                {
                    _embeddings.Remove(request);
                }
                _metrics.EmbeddingTokens.Add(request.PromptTokens, new KeyValuePair<string, object?>(InferenceMetrics.ModelTag, request.ModelId));
                request.Succeed();
            }
        }
    }

    private void ReapCancelled()
    {
        foreach (var request in _slots)
        {
            if (request is not null && request.Cancellation.IsCancellationRequested)
            {
                Finish(request, FinishReasons.Cancelled);
            }
        }
    }

    private void Step(LlamaBatch batch)
    {
        batch.Clear();
        var generating = 0;
        List<GenerationRequest> prefilling = [];
        foreach (var request in _slots)
        {
            if (request is null)
            {
                continue;
            }
            if (request.IsPrefilling)
            {
                prefilling.Add(request);
                continue;
            }
            request.BatchIndex = batch.Add(request.NextToken, request.Position, request.Slot, computeLogits: true);
            request.Position++;
            generating++;
        }
        // Prompts are served in arrival order so an early long prompt is not overtaken forever.
        prefilling.Sort((a, b) => a.AdmittedAt.CompareTo(b.AdmittedAt));
        var plan = BatchPlanner.PlanPrefill(batch.Capacity, generating, _prefillChunk, prefilling.Select(r => r.Prompt.Length - r.Prefilled).ToList());
        var participants = generating;
        for (var i = 0; i < prefilling.Count; i++)
        {
            var request = prefilling[i];
            request.BatchIndex = -1;
            if (plan[i] == 0)
            {
                continue;
            }
            var finishing = request.Prefilled + plan[i] == request.Prompt.Length;
            var last = batch.AddSequence(request.Prompt.AsSpan(request.Prefilled, plan[i]), request.Prefilled, request.Slot, logitsForLast: finishing);
            request.Prefilled += plan[i];
            participants++;
            if (finishing)
            {
                request.BatchIndex = last;
                request.Position = request.Prompt.Length;
            }
        }

        var status = _context.TryDecode(batch, out var code);
        _metrics.BatchTokens.Record(batch.Count, _modelTag);
        _metrics.BatchOccupancy.Record((double)participants / _slots.Length, _modelTag);
        if (status != LlamaDecodeStatus.Success)
        {
            _logger.LogError("llama_decode returned {Status} ({Code}) for model {Model}; failing the {Count} sequences of the batch",
                status, code, ModelId, participants);
            foreach (var request in _slots.ToArray())
            {
                if (request is not null)
                {
                    Finish(request, FinishReasons.Error, $"llama_decode failed ({status}).");
                }
            }
            return;
        }

        var vocab = _context.Model.Vocab;
        foreach (var request in _slots)
        {
            if (request is null || request.BatchIndex < 0)
            {
                continue;
            }
            var token = request.Sampler!.Sample(_context, request.BatchIndex);
            request.BatchIndex = -1;
            if (request.FirstTokenAt == 0)
            {
                request.FirstTokenAt = Stopwatch.GetTimestamp();
                _metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(request.EnqueuedAt, request.FirstTokenAt).TotalSeconds, Tag(request));
            }
            if (!request.IgnoreEos && vocab.IsEndOfGeneration(token))
            {
                Finish(request, FinishReasons.Stop);
                continue;
            }
            request.CompletionTokens++;
            var bytes = vocab.TokenToBytes(token);
            var text = DecodeUtf8(request, bytes, flush: false);
            request.Emit(request.Matcher.Append(text));
            if (request.Matcher.Stopped)
            {
                Finish(request, FinishReasons.Stop);
            }
            else if (request.CompletionTokens >= request.MaxTokens || request.Position >= _context.SequenceContextSize)
            {
                Finish(request, FinishReasons.Length);
            }
            else
            {
                request.NextToken = token;
            }
        }
        CountKvCells();
    }

    /// <summary>
    /// The cells the sequences hold now: a prefilling prompt's decoded part, a generating sequence's positions so far (its
    /// next token is not in the cache yet). Called on the device thread after a step and when a sequence is freed.
    /// </summary>
    private void CountKvCells()
    {
        var cells = 0;
        foreach (var request in _slots)
        {
            if (request is not null)
            {
                cells += request.IsPrefilling ? request.Prefilled : request.Position;
            }
        }
        Volatile.Write(ref _kvCells, cells);
    }

    /// <summary>A request's figures go to the id it was sent to: ids with identical bytes share this scheduler.</summary>
    private static KeyValuePair<string, object?> Tag(GenerationRequest request) => new(InferenceMetrics.ModelTag, request.ModelId);

    private static string DecodeUtf8(GenerationRequest request, byte[] bytes, bool flush)
    {
        var chars = new char[request.Utf8.GetCharCount(bytes, flush)];
        request.Utf8.GetChars(bytes, chars, flush);
        return new string(chars);
    }

    private void Finish(GenerationRequest request, string reason, string? error = null)
    {
        if (reason != FinishReasons.Cancelled && reason != FinishReasons.Error && !request.Matcher.Stopped)
        {
            request.Emit(request.Matcher.Append(DecodeUtf8(request, [], flush: true)));
            request.Emit(request.Matcher.Flush());
        }
        _context.RemoveSequence(request.Slot);
        request.Sampler?.Dispose();
        request.Sampler = null;
        lock (_gate)
        {
            _slots[request.Slot] = null;
            _active--;
        }
        CountKvCells();
        request.Complete(reason, error, SharedDeviceMs(request));
        _metrics.Requests.Add(1, Tag(request), new(InferenceMetrics.FinishReasonTag, reason));
        _metrics.CompletionTokens.Add(request.CompletionTokens, Tag(request));
        if (request.CompletionTokens > 1 && request.FirstTokenAt != 0)
        {
            var seconds = Stopwatch.GetElapsedTime(request.FirstTokenAt).TotalSeconds;
            if (seconds > 0)
            {
                _metrics.TokensPerSecond.Record((request.CompletionTokens - 1) / seconds, Tag(request));
            }
        }
    }

    private void FailEverything(string message)
    {
        List<GenerationRequest> orphans;
        List<EmbeddingRequest> embeddings;
        lock (_gate)
        {
            _stopping = true;
            orphans = [.. _queue, .. _slots.OfType<GenerationRequest>()];
            embeddings = [.. _embeddings];
            _queue.Clear();
            _embeddings.Clear();
            Array.Clear(_slots);
            _active = 0;
        }
        Volatile.Write(ref _kvCells, 0);
        foreach (var request in orphans)
        {
            request.Complete(FinishReasons.Error, message);
        }
        foreach (var request in embeddings)
        {
            request.Fail(message);
        }
    }
}
