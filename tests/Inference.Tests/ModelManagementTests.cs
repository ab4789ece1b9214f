using System.Text;
using DomainPlatform.Inference.Data;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.Protos.Inference;
using DomainPlatform.TestSupport;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Inference.Tests;

/// <summary>The tiny model plus a 1 GiB memory budget, so a load can be refused for memory.</summary>
public sealed class BudgetedInferenceFactory : InferenceFactory
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [.. base.Settings, new("Inference:MemoryBudgetBytes", (1L << 30).ToString())];
}

public sealed class ModelManagementTests(BudgetedInferenceFactory factory) : IClassFixture<BudgetedInferenceFactory>
{
    private static LoadModelRequest Load(string id, string path, string? sha = null, int context = 2048, int slots = 2) => new()
    {
        ModelId = id, Path = path, Sha256 = sha ?? TinyModels.Sha256(path), ContextSize = context, ParallelSlots = slots, GpuLayers = 0,
    };

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "truncated", "not a valid GGUF" },
        { "bad-magic", "not a valid GGUF" },
        { "tensor-past-the-end", "not a valid GGUF" },
        { "wrong-arch", "Architecture 'bloom' is not supported" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_gguf_is_refused_with_a_clear_error_and_the_service_stays_up(string kind, string expected)
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var path = kind switch
        {
            "truncated" => TinyModels.Damaged("truncated.gguf", bytes => bytes[..(bytes.Length / 2)]),
            "bad-magic" => TinyModels.Damaged("bad-magic.gguf", bytes => [.. "GGML"u8, .. bytes[4..]]),
            // Headers intact, but the last tensors' data lies past the end of the file.
            "tensor-past-the-end" => TinyModels.Damaged("tensor-past-the-end.gguf", bytes => bytes[..(bytes.Length - 4096)]),
            _ => TinyModels.Damaged("wrong-arch.gguf", WithArchitecture("bloom")),
        };
        var error = await Assert.ThrowsAsync<RpcException>(() => factory.GrpcClient().LoadModelAsync(Load($"bad-{kind}", path), cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail);
        Assert.NotEmpty(await client.CompleteAsync("still serving", 4, ct));
    }

    [Fact]
    public async Task A_checksum_mismatch_or_a_missing_file_is_refused_before_loading()
    {
        await factory.ReadyClientAsync();
        var grpc = factory.GrpcClient();
        var ct = TestContext.Current.CancellationToken;
        var mismatch = await Assert.ThrowsAsync<RpcException>(() =>
            grpc.LoadModelAsync(Load("wrong-sha", TinyModels.Default, new string('0', 64)), cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, mismatch.StatusCode);
        Assert.Contains(TinyModels.Sha256(TinyModels.Default), mismatch.Status.Detail);

        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            grpc.LoadModelAsync(new LoadModelRequest { ModelId = "gone", Path = "/nonexistent/x.gguf", Sha256 = new string('0', 64) }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var noSha = await Assert.ThrowsAsync<RpcException>(() =>
            grpc.LoadModelAsync(new LoadModelRequest { ModelId = "nosha", Path = TinyModels.Default }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noSha.StatusCode);
    }

    [Fact]
    public async Task A_load_that_does_not_fit_the_budget_is_refused_with_the_figures()
    {
        await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        // 4M cells of KV cache for the tiny model is 2 GiB: over the 1 GiB budget.
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            factory.GrpcClient().LoadModelAsync(Load("too-big", TinyModels.Default, context: 1 << 22, slots: 1), cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("KV cache 2048.0", error.Status.Detail);
        Assert.Contains("1024.0 MiB budget", error.Status.Detail);
    }

    [Fact]
    public async Task Models_load_side_by_side_are_remembered_and_unload_after_their_in_flight_requests()
    {
        var client = await factory.ReadyClientAsync();
        var grpc = factory.GrpcClient();
        var ct = TestContext.Current.CancellationToken;
        var second = TinyModels.Write("second.gguf", new TinyModelOptions { Seed = 99, ContextLength = 4096 });
        var loaded = await grpc.LoadModelAsync(Load("second", second), cancellationToken: ct);
        Assert.Equal("ready", loaded.Model.State);
        Assert.Equal(TinyModels.Sha256(second), loaded.Model.Sha256);
        // Loading the same spec again is a no-op, so a deployment can retry.
        Assert.Equal(loaded.Model.Sha256, (await grpc.LoadModelAsync(Load("second", second), cancellationToken: ct)).Model.Sha256);

        var listed = await grpc.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct);
        Assert.Contains(listed.Models, m => m.ModelId == "second");
        Assert.Contains(listed.Models, m => m.ModelId == InferenceFactory.ModelId);
        var remembered = await factory.Services.GetRequiredService<ModelStore>().ListAsync(ct);
        Assert.Contains(remembered, row => row.Id == "second" && row.Sha256 == loaded.Model.Sha256);

        // A restart (a second host on the same database) loads it again.
        await using (var restarted = factory.WithWebHostBuilder(_ => { }))
        {
            var restartedClient = restarted.CreateClient();
            await Eventually.GetAsync(() => restartedClient.GetStringAsync("/v1/models", ct), models => models.Contains("\"second\""),
                "the restarted service to load 'second' again");
        }

        // A long request is running when the unload is asked for; it still finishes in full.
        using var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Http.Json(new { model = "second", prompt = "Long", max_tokens = 200, temperature = 0, ignore_eos = true, stream = true }),
        }, HttpCompletionOption.ResponseHeadersRead, ct);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        Assert.StartsWith("data: ", await reader.ReadLineAsync(ct));
        var unload = grpc.UnloadModelAsync(new UnloadModelRequest { ModelId = "second" }, cancellationToken: ct).ResponseAsync;
        var rest = await reader.ReadToEndAsync(ct);
        Assert.Contains("\"finish_reason\":\"length\"", rest);
        Assert.Contains("\"completion_tokens\":200", rest);
        Assert.True((await unload).Unloaded);

        Assert.DoesNotContain((await grpc.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct)).Models, m => m.ModelId == "second");
        Assert.DoesNotContain(await factory.Services.GetRequiredService<ModelStore>().ListAsync(ct), row => row.Id == "second");
        using var after = await client.PostAsync("/v1/completions", Http.Json(new { model = "second", prompt = "x" }), ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, after.StatusCode);
    }

    /// <summary>Rewrites the general.architecture value (same length as "llama") in place.</summary>
    private static Func<byte[], byte[]> WithArchitecture(string architecture) => bytes =>
    {
        var key = "general.architecture"u8.ToArray();
        var at = bytes.AsSpan().IndexOf(key);
        Assert.True(at > 0, "the generated file names its architecture");
        // key, then the value type (u32) and the string length (u64), then the text.
        var value = at + key.Length + 4 + 8;
        Assert.Equal("llama", Encoding.ASCII.GetString(bytes, value, 5));
        Encoding.ASCII.GetBytes(architecture).CopyTo(bytes, value);
        return bytes;
    };
}
