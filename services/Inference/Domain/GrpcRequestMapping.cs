using System.Text.Json;
using DomainPlatform.Protos.Inference;

namespace DomainPlatform.Inference.Domain;

/// <summary>gRPC Generate requests go through the same rules as the OpenAI endpoints.</summary>
public static class GrpcRequestMapping
{
    public static ValidatedRequest ToSpec(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hasPrompt = request.Prompt.Length > 0;
        var hasMessages = request.Messages.Count > 0;
        if (hasPrompt == hasMessages)
        {
            return OpenAiError.InvalidRequest("Give either a prompt or messages, not both and not neither.", "prompt");
        }
        var stop = request.Stop.Count == 0 ? (JsonElement?)null : JsonSerializer.SerializeToElement(request.Stop.ToArray());
        int? maxTokens = request.MaxTokens == 0 ? null : request.MaxTokens;
        if (hasMessages)
        {
            return OpenAiRequestRules.Validate(new ChatCompletionRequest
            {
                Model = request.ModelId,
                Messages = request.Messages.Select(m => (ChatMessageInput?)new ChatMessageInput
                {
                    Role = m.Role,
                    Content = JsonSerializer.SerializeToElement(m.Content),
                }).ToList(),
                MaxTokens = maxTokens,
                Temperature = request.HasTemperature ? request.Temperature : null,
                TopP = request.HasTopP ? request.TopP : null,
                TopK = request.HasTopK ? request.TopK : null,
                Seed = request.HasSeed ? request.Seed : null,
                Stop = stop,
            });
        }
        return OpenAiRequestRules.Validate(new CompletionRequest
        {
            Model = request.ModelId,
            Prompt = JsonSerializer.SerializeToElement(request.Prompt),
            MaxTokens = maxTokens,
            Temperature = request.HasTemperature ? request.Temperature : null,
            TopP = request.HasTopP ? request.TopP : null,
            TopK = request.HasTopK ? request.TopK : null,
            Seed = request.HasSeed ? request.Seed : null,
            Stop = stop,
        });
    }

    public static ModelSpec ToSpec(LoadModelRequest request) => new(
        request.ModelId,
        request.Path,
        request.Sha256,
        request.GpuLayers,
        request.ContextSize == 0 ? ModelSpec.DefaultContextSize : request.ContextSize,
        request.ParallelSlots == 0 ? ModelSpec.DefaultParallelSlots : request.ParallelSlots);
}
