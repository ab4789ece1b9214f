using System.Text;
using DomainPlatform.Inference.Domain;
using DomainPlatform.Protos.Inference;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Inference.Tests;

/// <summary>
/// The tiny model loaded twice from the same file with other slot settings (so they do not share), as a canary beside
/// its stable version. Slots of 16k tokens: a long stream outlasts any short request by thousands of decode steps.
/// </summary>
public sealed class TwoModelsFactory : InferenceFactory
{
    public const string SecondModelId = "tiny-canary";

    protected override int ParallelSlots => 4;
    protected override int ContextSize => 65536;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. base.Settings,
        new("Inference:Models:1:Id", SecondModelId),
        new("Inference:Models:1:Path", TinyModels.Default),
        new("Inference:Models:1:ContextSize", "32768"),
        new("Inference:Models:1:ParallelSlots", "2"),
    ];
}

/// <summary>The tiny model with two slots of 32k tokens.</summary>
public sealed class LongSlotsFactory : InferenceFactory
{
    protected override int ParallelSlots => 2;
    protected override int ContextSize => 65536;
}

/// <summary>Models on one device share its scheduler: their decode steps take turns on one thread.</summary>
public sealed class CoLocatedModelTests(TwoModelsFactory factory) : IClassFixture<TwoModelsFactory>
{
    [Fact]
    public async Task The_same_bytes_loaded_twice_answer_the_same_while_both_are_busy()
    {
        var client = await ReadyAsync();
        var ct = TestContext.Current.CancellationToken;
        var alone = await client.CompleteAsync("A canary and its stable", 24, ct);

        var both = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            client.CompleteAsync("A canary and its stable", 24, ct, model: i % 2 == 0 ? InferenceFactory.ModelId : TwoModelsFactory.SecondModelId)));

        Assert.All(both, text => Assert.Equal(alone, text));
    }

    [Fact]
    public async Task A_request_says_how_much_device_time_the_other_model_took_while_it_was_in_flight()
    {
        var client = await ReadyAsync();
        var ct = TestContext.Current.CancellationToken;
        async Task<System.Text.Json.JsonElement> TimingsAsync(string model)
        {
            using var response = await client.PostAsync("/v1/completions",
                Http.Json(new { model, prompt = "How long did I wait", max_tokens = 8, ignore_eos = true }), ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return body.RootElement.GetProperty("timings").Clone();
        }

        // Alone on the device (once another test's cancelled stream has been reaped): no other model stepped, nothing to discount.
        await Eventually.GetAsync(() => TimingsAsync(TwoModelsFactory.SecondModelId), t => t.GetProperty("shared_device_ms").GetDouble() == 0,
            "a request with the other model idle to have waited for no other model");

        // Beside a long stream on the other model, whose steps alternate with ours on the one decode thread.
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Http.Json(new { model = InferenceFactory.ModelId, prompt = "A long stable answer", max_tokens = 15000, ignore_eos = true, stream = true }),
        }, HttpCompletionOption.ResponseHeadersRead, abort.Token);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(abort.Token), Encoding.UTF8);
        Assert.StartsWith("data: ", await reader.ReadLineAsync(abort.Token));
        var shared = await TimingsAsync(TwoModelsFactory.SecondModelId);
        Assert.True(shared.GetProperty("shared_device_ms").GetDouble() > 0, shared.ToString());
        Assert.True(shared.GetProperty("queue_ms").GetDouble() >= 0, shared.ToString());
        await abort.CancelAsync();
    }

    [Fact]
    public async Task A_short_request_on_one_model_finishes_while_a_long_stream_on_the_other_goes_on()
    {
        var client = await ReadyAsync();
        var ct = TestContext.Current.CancellationToken;
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Http.Json(new { model = InferenceFactory.ModelId, prompt = "A long stable answer", max_tokens = 15000, ignore_eos = true, stream = true }),
        }, HttpCompletionOption.ResponseHeadersRead, abort.Token);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(abort.Token), Encoding.UTF8);
        Assert.StartsWith("data: ", await reader.ReadLineAsync(abort.Token));

        // The canary's request gets its turns between the stable's steps instead of waiting for the stream to end.
        Assert.NotEmpty(await client.CompleteAsync("A short canary answer", 8, ct, model: TwoModelsFactory.SecondModelId));

        string? line;
        do
        {
            line = await reader.ReadLineAsync(abort.Token);
        }
        while (line == "");
        Assert.StartsWith("data: ", line);
        Assert.DoesNotContain("[DONE]", line);
        Assert.DoesNotContain("\"finish_reason\":\"length\"", line);
        await abort.CancelAsync();
    }

    [Fact]
    public async Task Unloading_one_model_leaves_the_other_generating()
    {
        var client = await ReadyAsync();
        var ct = TestContext.Current.CancellationToken;
        var grpc = factory.GrpcClient();
        await grpc.LoadModelAsync(new LoadModelRequest
        {
            ModelId = "tiny-leaving", Path = TinyModels.Default, Sha256 = TinyModels.Sha256(TinyModels.Default), ContextSize = 2048, ParallelSlots = 2, GpuLayers = 0,
        }, cancellationToken: ct);
        using var leaving = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Http.Json(new { model = "tiny-leaving", prompt = "Leaving soon", max_tokens = 64, ignore_eos = true, stream = true }),
        }, HttpCompletionOption.ResponseHeadersRead, ct);
        var reader = new StreamReader(await leaving.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        Assert.StartsWith("data: ", await reader.ReadLineAsync(ct));
        var staying = client.CompleteAsync("Staying on", 400, ct);

        // The unload waits for the leaving model's stream to end; the other model is served meanwhile and after.
        var unload = grpc.UnloadModelAsync(new UnloadModelRequest { ModelId = "tiny-leaving" }, cancellationToken: ct).ResponseAsync;
        var rest = await reader.ReadToEndAsync(ct);
        Assert.Contains("\"finish_reason\":\"length\"", rest);
        Assert.EndsWith("data: [DONE]", rest.Trim());
        await unload;
        Assert.NotEmpty(await staying);
        Assert.NotEmpty(await client.CompleteAsync("Still served", 8, ct, model: TwoModelsFactory.SecondModelId));
    }

    private async Task<HttpClient> ReadyAsync()
    {
        var client = await factory.ReadyClientAsync();
        await Eventually.GetAsync(async () => (await factory.GrpcClient().ListModelsAsync(new ListModelsRequest())).Models.Count(m => m.State == "ready"),
            ready => ready >= 2, "both models to load");
        return client;
    }
}

/// <summary>An id loaded from the same bytes with the same settings shares the loaded model: weights, slots and batches.</summary>
public sealed class SharedWeightsTests(LongSlotsFactory factory) : IClassFixture<LongSlotsFactory>
{
    [Fact]
    public async Task A_twin_of_identical_bytes_shares_the_slots_answers_the_same_and_outlives_the_original()
    {
        var client = await factory.ReadyClientAsync();
        var grpc = factory.GrpcClient();
        var ct = TestContext.Current.CancellationToken;
        var alone = await client.CompleteAsync("Identical bytes", 24, ct);
        await grpc.LoadModelAsync(new LoadModelRequest
        {
            ModelId = "tiny-twin", Path = TinyModels.Default, Sha256 = TinyModels.Sha256(TinyModels.Default), ContextSize = 65536, ParallelSlots = 2, GpuLayers = ModelSpec.AllLayers,
        }, cancellationToken: ct);

        // A stream on the original occupies a slot that the twin reports too: they are one model.
        using (var abort = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            using var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = Http.Json(new { model = InferenceFactory.ModelId, prompt = "Busy", max_tokens = 30000, ignore_eos = true, stream = true }),
            }, HttpCompletionOption.ResponseHeadersRead, abort.Token);
            var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(abort.Token), Encoding.UTF8);
            Assert.StartsWith("data: ", await reader.ReadLineAsync(abort.Token));
            var twin = (await grpc.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct)).Models.Single(m => m.ModelId == "tiny-twin");
            Assert.Equal(1, twin.ActiveRequests);
            Assert.Equal(alone, await client.CompleteAsync("Identical bytes", 24, ct, model: "tiny-twin"));
            await abort.CancelAsync();
        }

        await grpc.UnloadModelAsync(new UnloadModelRequest { ModelId = InferenceFactory.ModelId }, cancellationToken: ct);
        var left = (await grpc.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct)).Models;
        Assert.Equal("tiny-twin", Assert.Single(left).ModelId);
        Assert.Equal(alone, await client.CompleteAsync("Identical bytes", 24, ct, model: "tiny-twin"));
    }
}
