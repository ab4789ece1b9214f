namespace DomainPlatform.Inference.Runtime;

/// <summary>
/// One /v1/embeddings request on its way through a model's scheduler: its inputs (tokens), embedded in the device
/// thread's embedding decodes, possibly across several of them and beside other requests' inputs.
/// </summary>
public sealed class EmbeddingRequest
{
    private readonly TaskCompletionSource<float[][]> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal EmbeddingRequest(string modelId, int[][] inputs, CancellationToken cancellation)
    {
        ModelId = modelId;
        Inputs = inputs;
        Vectors = new float[inputs.Length][];
        Cancellation = cancellation;
        PromptTokens = inputs.Sum(i => i.Length);
    }

    public string ModelId { get; }
    /// <summary>Tokens of all the inputs together: what usage reports.</summary>
    public int PromptTokens { get; }
    /// <summary>The unit-length vectors in the order of the inputs; fails with <see cref="EmbeddingFailedException"/> or is cancelled.</summary>
    public Task<float[][]> Result => _result.Task;

    internal int[][] Inputs { get; }
    internal float[][] Vectors { get; }
    internal CancellationToken Cancellation { get; }
    internal CancellationTokenRegistration CancellationWakeup { get; set; }
    /// <summary>Inputs handed to a decode so far (owned by the device thread).</summary>
    internal int Taken { get; set; }
    /// <summary>Inputs whose vectors are in (owned by the device thread).</summary>
    internal int Done { get; set; }
    internal bool IsComplete => Result.IsCompleted;

    internal void Succeed()
    {
        CancellationWakeup.Dispose();
        _result.TrySetResult(Vectors);
    }

    internal void Fail(string message)
    {
        CancellationWakeup.Dispose();
        _result.TrySetException(new EmbeddingFailedException(message));
    }

    internal void Cancel()
    {
        CancellationWakeup.Dispose();
        _result.TrySetCanceled(Cancellation);
    }
}

/// <summary>llama.cpp could not embed the request's inputs; the message says why.</summary>
public sealed class EmbeddingFailedException(string message) : Exception(message);
