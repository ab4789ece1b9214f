using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Inference;
using DomainPlatform.TestSupport;
using Grpc.Net.Client;

namespace DomainPlatform.Inference.Tests;

/// <summary>The service with the tiny model loaded under "tiny": 8 slots of 1024 tokens.</summary>
public class InferenceFactory() : ServiceFactory<Program>("inferencedb")
{
    public const string ModelId = "tiny";

    protected virtual int ParallelSlots => 8;
    protected virtual int ContextSize => 8192;
    protected virtual int MaxQueueLength => 64;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Inference:Models:0:Id", ModelId),
        new("Inference:Models:0:Path", TinyModels.Default),
        new("Inference:Models:0:ContextSize", ContextSize.ToString()),
        new("Inference:Models:0:ParallelSlots", ParallelSlots.ToString()),
        new("Inference:MaxQueueLength", MaxQueueLength.ToString()),
        // One thread: ggml's thread barriers spin, which crawls on a busy shared test machine.
        new("Inference:Threads", "1"),
        new("Inference:RetryAfterSeconds", "2"),
    ];

    /// <summary>Waits until the start-up loader has loaded the tiny model.</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = CreateClient();
        await Eventually.GetAsync(async () =>
        {
            var models = await client.GetFromJsonAsync<JsonElement>("/v1/models");
            return models.GetProperty("data").EnumerateArray().Any(m => m.GetProperty("id").GetString() == ModelId);
        }, loaded => loaded, "the tiny model to load");
        return client;
    }

    public InferenceRuntime.InferenceRuntimeClient GrpcClient()
    {
        var channel = GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
        return new InferenceRuntime.InferenceRuntimeClient(channel);
    }
}

/// <summary>One slot and no queue: the second concurrent request is refused.</summary>
public sealed class SingleSlotFactory : InferenceFactory
{
    protected override int ParallelSlots => 1;
    protected override int ContextSize => 32768;
    protected override int MaxQueueLength => 0;
}

/// <summary>No configured models, only Inference:DemoModel pointing at the tiny model.</summary>
public sealed class DemoModelFactory() : DomainPlatform.TestSupport.ServiceFactory<Program>("inferencedb")
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [new("Inference:DemoModel", TinyModels.Default), new("Inference:Threads", "1")];
}
