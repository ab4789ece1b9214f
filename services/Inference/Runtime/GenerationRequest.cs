using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using DomainPlatform.Inference.Domain;
using DomainPlatform.LlamaCpp;

namespace DomainPlatform.Inference.Runtime;

public static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string Cancelled = "cancelled";
    public const string Error = "error";
}

/// <summary>A piece of generated text; the last update of a request carries the finish reason and the token counts.</summary>
/// <param name="QueueMs">How long the request waited for a slot.</param>
/// <param name="SharedDeviceMs">Device time other models on the same device took while the request was in flight (see <see cref="DeviceScheduler"/>).</param>
public sealed record GenerationUpdate(string Text, string? FinishReason = null, int PromptTokens = 0, int CompletionTokens = 0, string? Error = null,
    double QueueMs = 0, double SharedDeviceMs = 0)
{
    public bool IsFinal => FinishReason is not null;
}

/// <summary>
/// One request on its way through a model's scheduler. The caller reads <see cref="Updates"/>; the
/// scheduler thread alone touches the sequence state below.
/// </summary>
public sealed class GenerationRequest
{
    private readonly Channel<GenerationUpdate> _updates =
        Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal GenerationRequest(string modelId, int[] promptTokens, SamplingOptions sampling, int maxTokens, IReadOnlyList<string> stop,
        bool ignoreEos, CancellationToken cancellation)
    {
        ModelId = modelId;
        Prompt = promptTokens;
        Sampling = sampling;
        MaxTokens = maxTokens;
        Matcher = new StopSequenceMatcher(stop);
        IgnoreEos = ignoreEos;
        Cancellation = cancellation;
    }

    public string ModelId { get; }
    public ChannelReader<GenerationUpdate> Updates => _updates.Reader;
    /// <summary>Completes when the scheduler is done with the request, read to the end or not (the reader's Completion waits for both).</summary>
    public Task Completed => _completed.Task;
    public int PromptTokenCount => Prompt.Length;

    internal int[] Prompt { get; }
    internal SamplingOptions Sampling { get; }
    internal int MaxTokens { get; }
    internal StopSequenceMatcher Matcher { get; }
    internal bool IgnoreEos { get; }
    internal CancellationToken Cancellation { get; }
    internal long EnqueuedAt { get; set; }
    /// <summary>The device's and the model's busy time when the request was queued (see <see cref="DeviceScheduler.BusyTicks"/>).</summary>
    internal long DeviceBusyAtEnqueue { get; set; }
    internal long ModelBusyAtEnqueue { get; set; }
    /// <summary>Wakes the scheduler when the caller cancels; released when the request completes.</summary>
    internal CancellationTokenRegistration CancellationWakeup { get; set; }
    internal long AdmittedAt { get; set; }
    internal long FirstTokenAt { get; set; }

    // Sequence state, owned by the scheduler thread.
    internal int Slot { get; set; } = -1;
    internal LlamaSampler? Sampler { get; set; }
    internal int Prefilled { get; set; }
    internal int Position { get; set; }
    internal int NextToken { get; set; }
    internal int CompletionTokens { get; set; }
    internal int BatchIndex { get; set; } = -1;
    internal Decoder Utf8 { get; } = Encoding.UTF8.GetDecoder();
    internal bool IsPrefilling => Prefilled < Prompt.Length;

    internal void Emit(string text)
    {
        if (text.Length > 0)
        {
            _updates.Writer.TryWrite(new GenerationUpdate(text));
        }
    }

    internal void Complete(string finishReason, string? error = null, double sharedDeviceMs = 0)
    {
        var queueMs = AdmittedAt == 0 ? 0 : Stopwatch.GetElapsedTime(EnqueuedAt, AdmittedAt).TotalMilliseconds;
        _updates.Writer.TryWrite(new GenerationUpdate("", finishReason, Prompt.Length, CompletionTokens, error, queueMs, sharedDeviceMs));
        _updates.Writer.TryComplete();
        CancellationWakeup.Dispose();
        _completed.TrySetResult();
    }
}
