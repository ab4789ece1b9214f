using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.Inference.Domain;
using DomainPlatform.Inference.Runtime;
using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.Protos.Inference;
using DomainPlatform.TestSupport;
using Grpc.Net.Client;

namespace DomainPlatform.Inference.Tests;

/// <summary>
/// The tiny model under a deployment-style id, 3 slots of a 30000-cell context: llama.cpp rounds the context up to 256 cells
/// (30208) and each slot's share (10069) too (10240), long enough that a generation is still running when the test looks.
/// </summary>
public sealed class ResourcesFactory() : ServiceFactory<Program>("inferencedb")
{
    public const string ModelId = "shop@1.2.0";
    public const int ContextSize = 30000;
    public const int CellsPerSlot = 10240;
    public const int ParallelSlots = 3;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Inference:Models:0:Id", ModelId),
        new("Inference:Models:0:Path", TinyModels.Default),
        new("Inference:Models:0:ContextSize", ContextSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Inference:Models:0:ParallelSlots", ParallelSlots.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Inference:Threads", "1"),
    ];
}

public sealed class ModelResourcesTests(ResourcesFactory factory) : IClassFixture<ResourcesFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Client, JsonElement Model)> ReadyAsync()
    {
        var client = factory.CreateClient();
        var model = await Eventually.GetAsync(() => ModelAsync(client), m => m.ValueKind == JsonValueKind.Object, "the model to load");
        return (client, model);
    }

    private static async Task<JsonElement> ModelAsync(HttpClient client)
    {
        var list = await client.GetFromJsonAsync<JsonElement>("/api/inference/models", Ct);
        return list.GetProperty("models").EnumerateArray().FirstOrDefault(m => m.GetProperty("id").GetString() == ResourcesFactory.ModelId);
    }

    [Fact]
    public async Task A_loaded_model_reports_its_weights_kv_cache_slots_and_device_as_llama_cpp_allocated_them()
    {
        var (client, model) = await ReadyAsync();
        var header = GgufValidator.ValidateFile(TinyModels.Default);
        var shape = ModelShape.FromGguf(header);

        // The weights are the file's tensor data: less than the file, which also holds the header and the vocabulary.
        var weights = model.GetProperty("weightsBytes").GetInt64();
        Assert.Equal((long)header.TensorDataBytes, weights);
        Assert.True(weights < new FileInfo(TinyModels.Default).Length);

        var cells = model.GetProperty("kvCells");
        Assert.Equal(ResourcesFactory.ParallelSlots * ResourcesFactory.CellsPerSlot, cells.GetProperty("total").GetInt32());
        Assert.Equal(0, cells.GetProperty("used").GetInt32());
        // K and V (F16) of each layer for every cell.
        var kvWidth = shape.EmbeddingSize / shape.Heads * shape.KvHeads;
        Assert.Equal(shape.Layers * (long)ResourcesFactory.ParallelSlots * ResourcesFactory.CellsPerSlot * 2 * kvWidth * 2, model.GetProperty("kvCacheBytes").GetInt64());
        Assert.Equal(weights + model.GetProperty("kvCacheBytes").GetInt64(), model.GetProperty("memoryBytes").GetInt64());
        Assert.True(model.GetProperty("estimatedBytes").GetInt64() > weights);

        Assert.Equal(ResourcesFactory.ParallelSlots, model.GetProperty("slots").GetProperty("total").GetInt32());
        Assert.Equal(0, model.GetProperty("slots").GetProperty("busy").GetInt32());
        // Every layer asked for (GpuLayers -1): all of them on a GPU when the runtime has one, none and the CPU otherwise.
        var gpuLayers = model.GetProperty("gpuLayers").GetInt32();
        Assert.Equal(shape.Layers + 1, model.GetProperty("layers").GetInt32());
        Assert.Equal(LlamaRuntime.Info.HasGpu ? shape.Layers + 1 : 0, gpuLayers);
        if (gpuLayers == 0) Assert.Equal("CPU", model.GetProperty("device").GetString());
        else Assert.NotEqual("CPU", model.GetProperty("device").GetString());

        using var one = await client.GetAsync($"/api/inference/models/{Uri.EscapeDataString(ResourcesFactory.ModelId)}", Ct);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        using var unknown = await client.GetAsync("/api/inference/models/nope@9.9.9", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("nope@9.9.9", await unknown.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Kv_cells_in_use_grow_while_a_sequence_generates_and_return_to_zero_when_it_is_freed()
    {
        var (client, _) = await ReadyAsync();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Http.Json(new { model = ResourcesFactory.ModelId, prompt = "Once upon a time", max_tokens = 10000, ignore_eos = true, stream = true }),
        };
        var stream = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort.Token);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(abort.Token), Encoding.UTF8);
        Assert.StartsWith("data: ", await reader.ReadLineAsync(abort.Token));

        var first = await Eventually.GetAsync(() => ModelAsync(client), m => m.GetProperty("kvCells").GetProperty("used").GetInt32() > 0, "cells in use");
        var used = first.GetProperty("kvCells").GetProperty("used").GetInt32();
        Assert.Equal(1, first.GetProperty("slots").GetProperty("busy").GetInt32());
        // One sequence holds at most its slot's share.
        Assert.InRange(used, 1, ResourcesFactory.CellsPerSlot);
        var later = await Eventually.GetAsync(() => ModelAsync(client), m => m.GetProperty("kvCells").GetProperty("used").GetInt32() > used, "more cells in use as it generates");
        Assert.True(later.GetProperty("kvCells").GetProperty("usage").GetDouble() > 0);

        // The client goes away: the sequence is cancelled, its cells and slot freed.
        await abort.CancelAsync();
        stream.Dispose();
        var freed = await Eventually.GetAsync(() => ModelAsync(client),
            m => m.GetProperty("kvCells").GetProperty("used").GetInt32() == 0 && m.GetProperty("slots").GetProperty("busy").GetInt32() == 0, "the cells to be freed");
        Assert.Equal(0.0, freed.GetProperty("kvCells").GetProperty("usage").GetDouble());

        // A request run to its end leaves nothing behind either.
        await client.CompleteAsync("Twice", 8, Ct, model: ResourcesFactory.ModelId);
        Assert.Equal(0, (await ModelAsync(client)).GetProperty("kvCells").GetProperty("used").GetInt32());
    }

    [Fact]
    public async Task The_gauges_report_the_figures_of_the_api_per_model_id_and_a_twin_id_names_what_it_shares()
    {
        var (client, model) = await ReadyAsync();
        var grpc = new InferenceRuntime.InferenceRuntimeClient(GrpcChannel.ForAddress(factory.Server.BaseAddress,
            new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() }));
        const string twin = "shop@1.2.1";
        await grpc.LoadModelAsync(new LoadModelRequest
        {
            ModelId = twin, Path = TinyModels.Default, Sha256 = TinyModels.Sha256(TinyModels.Default),
            ContextSize = ResourcesFactory.ContextSize, ParallelSlots = ResourcesFactory.ParallelSlots, GpuLayers = -1,
        }, cancellationToken: Ct);
        try
        {
            var list = await client.GetFromJsonAsync<JsonElement>("/api/inference/models", Ct);
            var twinView = list.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == twin);
            Assert.Equal([ResourcesFactory.ModelId], twinView.GetProperty("sharedWith").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(model.GetProperty("kvCacheBytes").GetInt64(), twinView.GetProperty("kvCacheBytes").GetInt64());

            var gauges = new Dictionary<(string Instrument, string Model), (long Value, string? Device)>();
            using (var listener = new MeterListener())
            {
                listener.InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == InferenceMetrics.MeterName) l.EnableMeasurementEvents(instrument);
                };
                void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
                {
                    string? id = null, device = null;
                    foreach (var tag in tags)
                    {
                        if (tag.Key == InferenceMetrics.ModelTag) id = tag.Value as string;
                        if (tag.Key == InferenceMetrics.DeviceTag) device = tag.Value as string;
                    }
                    if (id is ResourcesFactory.ModelId or twin) lock (gauges) { gauges[(instrument.Name, id)] = (value, device); }
                }
                listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
                listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
                listener.Start();
                listener.RecordObservableInstruments();
            }
            foreach (var id in new[] { ResourcesFactory.ModelId, twin })
            {
                Assert.Equal(model.GetProperty("weightsBytes").GetInt64(), gauges[("inference.model.weights.size", id)].Value);
                Assert.Equal(model.GetProperty("kvCacheBytes").GetInt64(), gauges[("inference.kv_cache.size", id)].Value);
                Assert.Equal(model.GetProperty("kvCells").GetProperty("total").GetInt32(), gauges[("inference.kv_cache.cells.limit", id)].Value);
                Assert.Equal(0, gauges[("inference.kv_cache.cells.used", id)].Value);
                Assert.Equal(ResourcesFactory.ParallelSlots, gauges[("inference.slots.limit", id)].Value);
                Assert.Equal((model.GetProperty("gpuLayers").GetInt32(), model.GetProperty("device").GetString()), gauges[("inference.model.gpu_layers", id)]);
            }
        }
        finally
        {
            await grpc.UnloadModelAsync(new UnloadModelRequest { ModelId = twin }, cancellationToken: Ct);
        }
    }
}
