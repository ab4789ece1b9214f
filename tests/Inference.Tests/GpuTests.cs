using System.Text;
using DomainPlatform.LlamaCpp;
using DomainPlatform.Protos.Inference;
using Grpc.Core;

namespace DomainPlatform.Inference.Tests;

public sealed class GpuTests(InferenceFactory factory) : IClassFixture<InferenceFactory>
{
    [Fact]
    public async Task A_model_with_every_layer_on_the_gpu_generates()
    {
        await factory.ReadyClientAsync();
        if (!LlamaRuntime.Info.HasGpu)
        {
            Assert.Skip($"No CUDA device: llama.cpp loaded from {LlamaRuntime.Info.NativeDirectory} found only {string.Join(", ", LlamaRuntime.Info.Devices.Select(d => d.Name))}.");
        }
        var ct = TestContext.Current.CancellationToken;
        var grpc = factory.GrpcClient();
        var loaded = await grpc.LoadModelAsync(new LoadModelRequest
        {
            ModelId = "gpu", Path = TinyModels.Default, Sha256 = TinyModels.Sha256(TinyModels.Default), GpuLayers = -1, ContextSize = 2048, ParallelSlots = 2,
        }, cancellationToken: ct);
        // The tiny model has 2 repeating layers; llama.cpp also offloads the output layer.
        Assert.Equal(3, loaded.Model.GpuLayers);

        var text = new StringBuilder();
        GenerateChunk? last = null;
        using var call = grpc.Generate(new GenerateRequest { ModelId = "gpu", Prompt = "On the GPU", MaxTokens = 16, Temperature = 0 }, cancellationToken: ct);
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
        {
            text.Append(chunk.Text);
            last = chunk;
        }
        Assert.NotNull(last?.FinishReason);
        Assert.True(last.CompletionTokens > 0 || last.FinishReason == "stop");
        await grpc.UnloadModelAsync(new UnloadModelRequest { ModelId = "gpu" }, cancellationToken: ct);
    }
}
