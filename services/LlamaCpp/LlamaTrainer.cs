using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.LlamaCpp.Interop;

namespace DomainPlatform.LlamaCpp;

public enum LlamaOptimizer
{
    AdamW = 0,
    Sgd = 1,
}

/// <summary>How to fine-tune. Context, batch and micro-batch must nest exactly (llama.cpp asserts it).</summary>
public sealed record LlamaTrainingOptions
{
    /// <summary>Tokens per training window (each datapoint).</summary>
    public int ContextSize { get; init; } = 256;
    public int BatchSize { get; init; } = 256;
    public int MicroBatchSize { get; init; } = 256;
    public LlamaOptimizer Optimizer { get; init; } = LlamaOptimizer.AdamW;
    public float LearningRate { get; init; } = 1e-3f;
    public float WeightDecay { get; init; }
    public int? Threads { get; init; }

    public void Validate()
    {
        // llama.cpp rounds a context up to a multiple of 256, and a training window must be exactly the context.
        Check(ContextSize >= 256 && ContextSize % 256 == 0, $"ContextSize must be a positive multiple of 256, was {ContextSize}.");
        Check(BatchSize >= 1 && BatchSize <= ContextSize && ContextSize % BatchSize == 0,
            $"BatchSize {BatchSize} must divide ContextSize {ContextSize}.");
        Check(MicroBatchSize >= 1 && BatchSize % MicroBatchSize == 0,
            $"MicroBatchSize {MicroBatchSize} must divide BatchSize {BatchSize}.");
        Check(float.IsFinite(LearningRate) && LearningRate > 0, $"LearningRate must be > 0, was {LearningRate}.");
        Check(float.IsFinite(WeightDecay) && WeightDecay >= 0, $"WeightDecay must be >= 0, was {WeightDecay}.");
        Check(Threads is null or >= 1, $"Threads must be >= 1, was {Threads}.");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

/// <summary>Where an epoch is: <paramref name="Batch"/> of <paramref name="Batches"/> in the training or validation part, with its running loss.</summary>
public sealed record LlamaBatchProgress(bool Training, long Batch, long Batches, double Loss);

/// <summary>
/// Mean next-token cross-entropy and accuracy of one epoch, over the tokens predicted; validation
/// figures are null when no window was held out.
/// </summary>
public sealed record LlamaEpochResult(
    long TrainTokens, double TrainLoss, double TrainLossUncertainty, double TrainAccuracy,
    long ValidationTokens, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>
/// Next-token fine-tuning through llama.cpp's optimizer (llama_opt_init / llama_opt_epoch, as
/// examples/training/finetune.cpp does). Trains the model's F32 tensors in place (llama.cpp skips
/// token_embd); save with <see cref="LlamaModel.SaveToFile"/>. One trainer per model at a time.
/// </summary>
public sealed class LlamaTrainer : IDisposable
{
    private readonly LlamaContext _context;
    private readonly unsafe GgmlOptOptimizerParams* _optimizerParams;
    private bool _disposed;

    private unsafe LlamaTrainer(LlamaModel model, LlamaContext context, LlamaTrainingOptions options)
    {
        Model = model;
        _context = context;
        Options = options;
        // llama.cpp reads the optimizer settings through this pointer for every step, so it lives in native memory.
        _optimizerParams = (GgmlOptOptimizerParams*)NativeMemory.AllocZeroed((nuint)sizeof(GgmlOptOptimizerParams));
        *_optimizerParams = NativeMethods.ggml_opt_get_default_optimizer_params(nint.Zero);
        SetLearningRate(options.LearningRate, options.WeightDecay);

        var parameters = new LlamaOptParams
        {
            NCtxTrain = 0,
            ParamFilter = LlamaRuntime.GetExport(NativeMethods.Llama, "llama_opt_param_filter_all"),
            ParamFilterUserData = nint.Zero,
            GetOptimizerParams = LlamaRuntime.GetExport(NativeMethods.GgmlBase, "ggml_opt_get_constant_optimizer_params"),
            GetOptimizerParamsUserData = (nint)_optimizerParams,
            OptimizerType = (GgmlOptOptimizerType)options.Optimizer,
        };
        NativeMethods.llama_opt_init(context.Handle, model.Handle, parameters);
    }

    public LlamaModel Model { get; }
    public LlamaTrainingOptions Options { get; }

    public static LlamaTrainer Create(LlamaModel model, LlamaTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (model.IsMemoryMapped)
        {
            throw new InvalidOperationException("Training writes the weights: load the model with UseMmap = false.");
        }
        var context = model.CreateContext(new LlamaContextOptions
        {
            ContextSize = options.ContextSize,
            BatchSize = options.BatchSize,
            MicroBatchSize = options.MicroBatchSize,
            MaxSequences = 1,
            Threads = options.Threads,
            F32KvCache = true,
            FlashAttention = false,
        });
        if (context.ContextSize != options.ContextSize)
        {
            context.Dispose();
            throw new LlamaException($"llama.cpp made a context of {context.ContextSize} tokens instead of {options.ContextSize}.");
        }
        try
        {
            return new LlamaTrainer(model, context, options);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Changes the learning rate and weight decay from the next optimizer step on (schedules).</summary>
    public void SetLearningRate(float learningRate, float weightDecay)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(learningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        unsafe
        {
            _optimizerParams->AdamWAlpha = learningRate;
            _optimizerParams->SgdAlpha = learningRate;
            _optimizerParams->AdamWWeightDecay = weightDecay;
            _optimizerParams->SgdWeightDecay = weightDecay;
        }
    }

    /// <summary>
    /// Runs one epoch over windows of <see cref="LlamaTrainingOptions.ContextSize"/> tokens taken every
    /// <paramref name="stride"/> tokens; the last <paramref name="validationFraction"/> of windows are only evaluated.
    /// </summary>
    public LlamaEpochResult RunEpoch(IReadOnlyList<int> tokens, int stride, double validationFraction = 0.1, Action<LlamaBatchProgress>? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        if (!(validationFraction >= 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Must be in [0, 1).");
        }
        var window = Options.ContextSize;
        if (tokens.Count < window + 1)
        {
            throw new ArgumentException($"Training needs at least {window + 1} tokens, got {tokens.Count}.", nameof(tokens));
        }
        var vocabulary = Model.Vocab.Count;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] < 0 || tokens[i] >= vocabulary)
            {
                throw new ArgumentException($"Token {tokens[i]} at index {i} is outside the vocabulary (0..{vocabulary - 1}).", nameof(tokens));
            }
        }

        long datapoints = (tokens.Count - window - 1) / stride + 1;
        var dataset = NativeMethods.ggml_opt_dataset_init(GgmlType.I32, GgmlType.I32, window, window, datapoints, 1);
        var resultTrain = NativeMethods.ggml_opt_result_init();
        var resultEval = NativeMethods.ggml_opt_result_init();
        try
        {
            FillDataset(dataset, tokens, window, stride, datapoints);
            var split = (long)(datapoints * (1 - validationFraction));
            split = Math.Clamp(split, 1, datapoints);
            using (new HandleLease(_context.Handle))
            {
                // llama.cpp calls back on this thread after every batch; the thread-static hands it the caller's delegate.
                var callback = nint.Zero;
                if (progress is not null)
                {
                    unsafe { callback = (nint)(delegate* unmanaged[Cdecl]<byte, nint, nint, nint, long, long, long, void>)&OnBatch; }
                }
                _batchProgress = progress;
                try
                {
                    NativeMethods.llama_opt_epoch(_context.Handle, dataset, resultTrain, resultEval, split, callback, callback);
                }
                finally
                {
                    _batchProgress = null;
                }
            }

            NativeMethods.ggml_opt_result_ndata(resultTrain, out var trainCount);
            NativeMethods.ggml_opt_result_loss(resultTrain, out var trainLoss, out var trainUncertainty);
            NativeMethods.ggml_opt_result_accuracy(resultTrain, out var trainAccuracy, out _);
            NativeMethods.ggml_opt_result_ndata(resultEval, out var evalCount);
            double? evalLoss = null;
            double? evalAccuracy = null;
            if (evalCount > 0)
            {
                NativeMethods.ggml_opt_result_loss(resultEval, out var loss, out _);
                NativeMethods.ggml_opt_result_accuracy(resultEval, out var accuracy, out _);
                evalLoss = loss;
                evalAccuracy = accuracy;
            }
            return new LlamaEpochResult(trainCount, trainLoss, trainUncertainty, trainAccuracy, evalCount, evalLoss, evalAccuracy);
        }
        finally
        {
            NativeMethods.ggml_opt_result_free(resultTrain);
            NativeMethods.ggml_opt_result_free(resultEval);
            NativeMethods.ggml_opt_dataset_free(dataset);
        }
    }

    [ThreadStatic]
    private static Action<LlamaBatchProgress>? _batchProgress;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnBatch(byte train, nint optContext, nint dataset, nint result, long batch, long batches, long startedMicroseconds)
    {
        try
        {
            NativeMethods.ggml_opt_result_loss(result, out var loss, out _);
            _batchProgress?.Invoke(new LlamaBatchProgress(train != 0, batch, batches, loss));
        }
        catch (Exception exception)
        {
            // Never unwind into native code: a failing progress observer only loses its report.
            LlamaRuntime.Logger.LogWarning(exception, "Training progress callback failed");
        }
    }

    private static unsafe void FillDataset(nint dataset, IReadOnlyList<int> tokens, int window, int stride, long datapoints)
    {
        // Datapoint i is tokens[i*stride .. +window); its labels are the same window shifted by one.
        var data = (int*)NativeMethods.ggml_get_data(NativeMethods.ggml_opt_dataset_data(dataset));
        var labels = (int*)NativeMethods.ggml_get_data(NativeMethods.ggml_opt_dataset_labels(dataset));
        for (long i = 0; i < datapoints; i++)
        {
            var start = (int)(i * stride);
            for (var j = 0; j < window; j++)
            {
                data[i * window + j] = tokens[start + j];
                labels[i * window + j] = tokens[start + j + 1];
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // The context (and its optimizer) goes first: it reads the parameters block until freed.
        _context.Dispose();
        unsafe
        {
            NativeMemory.Free(_optimizerParams);
        }
    }
}
