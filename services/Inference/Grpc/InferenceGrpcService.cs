using DomainPlatform.Inference.Data;
using DomainPlatform.Inference.Domain;
using DomainPlatform.Inference.Runtime;
using DomainPlatform.Protos.Inference;
using Grpc.Core;

namespace DomainPlatform.Inference.Grpc;

public sealed class InferenceGrpcService(ModelPool pool, ModelStore store, ILogger<InferenceGrpcService> logger) : InferenceRuntime.InferenceRuntimeBase
{
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context)
    {
        var validated = GrpcRequestMapping.ToSpec(request);
        if (validated.Error is { } invalid)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, invalid.Error.Message));
        }
        var spec = validated.Spec!;
        using var activity = InferenceMetrics.ActivitySource.StartActivity($"generate {spec.Model}");
        activity?.SetTag(InferenceMetrics.ModelTag, spec.Model);
        activity?.SetTag(InferenceMetrics.VariantTag, context.RequestHeaders.GetValue("x-variant"));

        GenerationRequest generation;
        try
        {
            generation = pool.Submit(spec, context.CancellationToken);
        }
        catch (GenerationRefusedException refused)
        {
            if (refused.Failure == GenerationFailure.QueueFull)
            {
                await context.WriteResponseHeadersAsync(new Metadata { { "retry-after", pool.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
            }
            throw new RpcException(new Status(refused.Failure switch
            {
                GenerationFailure.ModelNotFound => StatusCode.NotFound,
                GenerationFailure.ModelUnloading => StatusCode.Unavailable,
                GenerationFailure.QueueFull => StatusCode.ResourceExhausted,
                _ => StatusCode.InvalidArgument,
            }, refused.Message));
        }

        await foreach (var update in generation.Updates.ReadAllAsync(context.CancellationToken))
        {
            if (update.Error is not null)
            {
                throw new RpcException(new Status(StatusCode.Internal, update.Error));
            }
            var chunk = new GenerateChunk { Text = update.Text };
            if (update.IsFinal)
            {
                chunk.FinishReason = update.FinishReason;
                chunk.PromptTokens = update.PromptTokens;
                chunk.CompletionTokens = update.CompletionTokens;
                activity?.SetTag(InferenceMetrics.FinishReasonTag, update.FinishReason);
            }
            await responseStream.WriteAsync(chunk, context.CancellationToken);
        }
    }

    public override async Task<LoadModelReply> LoadModel(LoadModelRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Sha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "sha256: the file's expected sha256 is required."));
        }
        var spec = GrpcRequestMapping.ToSpec(request);
        LoadedModelInfo info;
        try
        {
            info = await pool.LoadAsync(spec, context.CancellationToken);
        }
        catch (ModelLoadException exception)
        {
            throw new RpcException(new Status(exception.Failure switch
            {
                ModelLoadFailure.InvalidRequest or ModelLoadFailure.InvalidFile => StatusCode.InvalidArgument,
                ModelLoadFailure.FileNotFound => StatusCode.NotFound,
                ModelLoadFailure.ChecksumMismatch => StatusCode.FailedPrecondition,
                ModelLoadFailure.InsufficientMemory => StatusCode.ResourceExhausted,
                ModelLoadFailure.AlreadyLoaded => StatusCode.AlreadyExists,
                _ => StatusCode.Internal,
            }, exception.Message));
        }
        try
        {
            await store.SaveAsync(spec with { Path = info.Path }, info.Sha256, context.CancellationToken);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogError(exception, "Model {Model} is loaded but could not be remembered for restarts; unloading it", spec.Id);
            await pool.UnloadAsync(spec.Id, CancellationToken.None);
            throw new RpcException(new Status(StatusCode.Unavailable, $"The model could not be recorded in the database: {exception.Message}"));
        }
        return new LoadModelReply { Model = ToProto(info) };
    }

    public override async Task<UnloadModelReply> UnloadModel(UnloadModelRequest request, ServerCallContext context)
    {
        var unloaded = await pool.UnloadAsync(request.ModelId, context.CancellationToken);
        await store.DeleteAsync(request.ModelId, context.CancellationToken);
        return new UnloadModelReply { Unloaded = unloaded };
    }

    public override Task<ListModelsReply> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var reply = new ListModelsReply();
        reply.Models.AddRange(pool.List().Select(ToProto));
        return Task.FromResult(reply);
    }

    private static ModelInfo ToProto(LoadedModelInfo info) => new()
    {
        ModelId = info.Id,
        Path = info.Path,
        Sha256 = info.Sha256,
        SizeBytes = info.SizeBytes,
        State = info.State,
        GpuLayers = info.GpuLayers,
        ContextSize = info.ContextSize,
        ParallelSlots = info.ParallelSlots,
        ActiveRequests = info.ActiveRequests + info.QueuedRequests,
    };
}
