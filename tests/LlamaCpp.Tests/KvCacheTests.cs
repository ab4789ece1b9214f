using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Tests;

public sealed class KvCacheTests(TinyModelFixture fixture)
{
    [Theory]
    [InlineData(GgmlType.F16, 64, 128)]
    [InlineData(GgmlType.F32, 64, 256)]
    [InlineData(GgmlType.Q8_0, 64, 68)] // two blocks of 32 elements, 34 bytes each
    [InlineData(GgmlType.Q4_0, 0, 0)]
    public void A_row_takes_whole_blocks_of_its_type(GgmlType type, int width, long bytes) => Assert.Equal(bytes, LlamaKvCache.RowBytes(type, width));

    [Fact]
    public void A_row_that_is_no_whole_number_of_blocks_is_refused() =>
        Assert.Throws<ArgumentException>(() => LlamaKvCache.RowBytes(GgmlType.Q8_0, 48));

    [Fact]
    public void A_context_reports_the_kv_cache_of_the_cells_llama_cpp_allocated()
    {
        var model = fixture.Model;
        // 300 cells for 2 sequences: llama.cpp rounds the context to 512 and each sequence's 256 stays.
        using var context = model.CreateContext(new LlamaContextOptions { ContextSize = 300, MaxSequences = 2, BatchSize = 64, MicroBatchSize = 64, Threads = 1 });
        Assert.Equal(512, context.ContextSize);
        Assert.Equal((GgmlType.F16, GgmlType.F16), (context.KeyCacheType, context.ValueCacheType));
        // Head size 16 (64 / 4 heads) times 2 KV heads: a row of 32 F16 values for K and one for V, per layer and cell.
        Assert.Equal(32, model.KvWidth);
        Assert.Equal(2L * 512 * (64 + 64), context.KvCacheBytes);
        // Loaded with GpuLayers 0: nothing offloaded.
        Assert.Equal((0, LlamaModel.CpuDevice), (model.GpuLayersPlaced, model.Device));
    }
}
