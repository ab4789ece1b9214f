using DomainPlatform.Deployment.Domain;
using DomainPlatform.Protos.Inference;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Deployment.Data;

/// <summary>Tells inference (gRPC InferenceRuntime) which model versions to hold in memory.</summary>
public sealed partial class InferenceControl(
    InferenceRuntime.InferenceRuntimeClient client, IOptions<DeploymentOptions> options, ILogger<InferenceControl> logger)
{
    /// <summary>Verifies the artifact again and loads it; a failure refuses the traffic change that needed it.</summary>
    public async Task LoadAsync(ModelVersionView version, CancellationToken ct)
    {
        var artifact = await ArtifactVerifier.VerifyAsync(version.Artifact.Path, version.Artifact.Sha256, version.Artifact.SizeBytes, ct);
        try
        {
            await client.LoadModelAsync(
                new LoadModelRequest
                {
                    ModelId = version.ModelId, Path = artifact.Path, Sha256 = artifact.Sha256,
                    ContextSize = version.Serving.EffectiveContextSize, ParallelSlots = version.Serving.EffectiveParallelSlots,
                    GpuLayers = version.Serving.EffectiveGpuLayers,
                },
                deadline: DateTime.UtcNow + options.Value.LoadModelTimeout, cancellationToken: ct);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            // Inference looked at the file and refused it: the artifact is at fault, not inference.
            throw DeploymentProblem.Unprocessable("Inference refused the model", $"LoadModel({version.ModelId}) was refused: {ex.Status.Detail}");
        }
        catch (RpcException ex)
        {
            throw DeploymentProblem.BadGateway("Inference could not load the model", $"LoadModel({version.ModelId}) failed: {ex.Status.StatusCode} {ex.Status.Detail}");
        }
    }

    /// <summary>Called once no route sends traffic to the version; inference lets in-flight requests finish first.</summary>
    public async Task UnloadAsync(string domain, string version)
    {
        var modelId = RouteTableBuilder.ModelId(domain, version);
        try
        {
            await client.UnloadModelAsync(new UnloadModelRequest { ModelId = modelId }, deadline: DateTime.UtcNow + options.Value.LoadModelTimeout);
        }
        catch (RpcException ex)
        {
            // The version takes no traffic any more; a model left loaded wastes memory but harms no request.
            LogUnloadFailed(modelId, ex.Status.StatusCode, ex.Status.Detail);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "UnloadModel({ModelId}) failed: {Code} {Detail}")]
    private partial void LogUnloadFailed(string modelId, StatusCode code, string detail);
}
