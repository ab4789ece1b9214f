using System.Runtime.InteropServices;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.LlamaCpp.Interop;

namespace DomainPlatform.LlamaCpp.Tests;

/// <summary>
/// Expected sizes and offsets are sizeof/offsetof of the pinned llama.h (node-llama-cpp 3.22.1,
/// git de3ff815) compiled with gcc on linux-x64. The default-params checks then prove the native
/// library agrees: a shifted field would read back a wrong default.
/// </summary>
public sealed class LayoutTests
{
    [Theory]
    [InlineData(typeof(LlamaModelParams), 80)]
    [InlineData(typeof(LlamaContextParams), 160)]
    [InlineData(typeof(LlamaBatchNative), 56)]
    [InlineData(typeof(LlamaSamplerChainParams), 1)]
    [InlineData(typeof(LlamaChatMessageNative), 16)]
    [InlineData(typeof(LlamaTokenData), 12)]
    [InlineData(typeof(LlamaTokenDataArray), 32)]
    [InlineData(typeof(LlamaLogitBias), 8)]
    [InlineData(typeof(LlamaPerfContextData), 48)]
    [InlineData(typeof(LlamaOptParams), 48)]
    [InlineData(typeof(GgmlOptOptimizerParams), 28)]
    public void Struct_size_matches_header(Type type, int expected) => Assert.Equal(expected, Marshal.SizeOf(type));

    [Theory]
    [InlineData(nameof(LlamaModelParams.Devices), 0)]
    [InlineData(nameof(LlamaModelParams.TensorBuftOverrides), 8)]
    [InlineData(nameof(LlamaModelParams.NGpuLayers), 16)]
    [InlineData(nameof(LlamaModelParams.SplitMode), 20)]
    [InlineData(nameof(LlamaModelParams.LoadMode), 24)]
    [InlineData(nameof(LlamaModelParams.LazyMode), 28)]
    [InlineData(nameof(LlamaModelParams.MainGpu), 32)]
    [InlineData(nameof(LlamaModelParams.TensorSplit), 40)]
    [InlineData(nameof(LlamaModelParams.ProgressCallback), 48)]
    [InlineData(nameof(LlamaModelParams.ProgressCallbackUserData), 56)]
    [InlineData(nameof(LlamaModelParams.KvOverrides), 64)]
    [InlineData(nameof(LlamaModelParams.VocabOnly), 72)]
    [InlineData(nameof(LlamaModelParams.CheckTensors), 73)]
    [InlineData(nameof(LlamaModelParams.UseExtraBufts), 74)]
    [InlineData(nameof(LlamaModelParams.NoHost), 75)]
    [InlineData(nameof(LlamaModelParams.NoAlloc), 76)]
    [InlineData(nameof(LlamaModelParams.LoadMtp), 77)]
    public void Model_params_offsets_match_header(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<LlamaModelParams>(field));

    [Theory]
    [InlineData(nameof(LlamaContextParams.NCtx), 0)]
    [InlineData(nameof(LlamaContextParams.NBatch), 4)]
    [InlineData(nameof(LlamaContextParams.NUbatch), 8)]
    [InlineData(nameof(LlamaContextParams.NSeqMax), 12)]
    [InlineData(nameof(LlamaContextParams.NRsSeq), 16)]
    [InlineData(nameof(LlamaContextParams.NOutputsMax), 20)]
    [InlineData(nameof(LlamaContextParams.NOutputsMaxPerSeq), 24)]
    [InlineData(nameof(LlamaContextParams.NThreads), 28)]
    [InlineData(nameof(LlamaContextParams.NThreadsBatch), 32)]
    [InlineData(nameof(LlamaContextParams.ContextType), 36)]
    [InlineData(nameof(LlamaContextParams.RopeScalingType), 40)]
    [InlineData(nameof(LlamaContextParams.PoolingType), 44)]
    [InlineData(nameof(LlamaContextParams.AttentionType), 48)]
    [InlineData(nameof(LlamaContextParams.FlashAttentionType), 52)]
    [InlineData(nameof(LlamaContextParams.RopeFreqBase), 56)]
    [InlineData(nameof(LlamaContextParams.RopeFreqScale), 60)]
    [InlineData(nameof(LlamaContextParams.YarnExtFactor), 64)]
    [InlineData(nameof(LlamaContextParams.YarnAttnFactor), 68)]
    [InlineData(nameof(LlamaContextParams.YarnBetaFast), 72)]
    [InlineData(nameof(LlamaContextParams.YarnBetaSlow), 76)]
    [InlineData(nameof(LlamaContextParams.YarnOrigCtx), 80)]
    [InlineData(nameof(LlamaContextParams.DefragThreshold), 84)]
    [InlineData(nameof(LlamaContextParams.CbEval), 88)]
    [InlineData(nameof(LlamaContextParams.CbEvalUserData), 96)]
    [InlineData(nameof(LlamaContextParams.TypeK), 104)]
    [InlineData(nameof(LlamaContextParams.TypeV), 108)]
    [InlineData(nameof(LlamaContextParams.AbortCallback), 112)]
    [InlineData(nameof(LlamaContextParams.AbortCallbackData), 120)]
    [InlineData(nameof(LlamaContextParams.Embeddings), 128)]
    [InlineData(nameof(LlamaContextParams.OffloadKqv), 129)]
    [InlineData(nameof(LlamaContextParams.NoPerf), 130)]
    [InlineData(nameof(LlamaContextParams.OpOffload), 131)]
    [InlineData(nameof(LlamaContextParams.SwaFull), 132)]
    [InlineData(nameof(LlamaContextParams.KvUnified), 133)]
    [InlineData(nameof(LlamaContextParams.Samplers), 136)]
    [InlineData(nameof(LlamaContextParams.NSamplers), 144)]
    [InlineData(nameof(LlamaContextParams.ContextOther), 152)]
    public void Context_params_offsets_match_header(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<LlamaContextParams>(field));

    [Theory]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.NTokens), 0)]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.Token), 8)]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.Embd), 16)]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.Pos), 24)]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.NSeqId), 32)]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.SeqId), 40)]
    [InlineData(typeof(LlamaBatchNative), nameof(LlamaBatchNative.Logits), 48)]
    [InlineData(typeof(LlamaChatMessageNative), nameof(LlamaChatMessageNative.Role), 0)]
    [InlineData(typeof(LlamaChatMessageNative), nameof(LlamaChatMessageNative.Content), 8)]
    [InlineData(typeof(LlamaTokenData), nameof(LlamaTokenData.Id), 0)]
    [InlineData(typeof(LlamaTokenData), nameof(LlamaTokenData.Logit), 4)]
    [InlineData(typeof(LlamaTokenData), nameof(LlamaTokenData.P), 8)]
    [InlineData(typeof(LlamaTokenDataArray), nameof(LlamaTokenDataArray.Data), 0)]
    [InlineData(typeof(LlamaTokenDataArray), nameof(LlamaTokenDataArray.Size), 8)]
    [InlineData(typeof(LlamaTokenDataArray), nameof(LlamaTokenDataArray.Selected), 16)]
    [InlineData(typeof(LlamaTokenDataArray), nameof(LlamaTokenDataArray.Sorted), 24)]
    [InlineData(typeof(LlamaOptParams), nameof(LlamaOptParams.NCtxTrain), 0)]
    [InlineData(typeof(LlamaOptParams), nameof(LlamaOptParams.ParamFilter), 8)]
    [InlineData(typeof(LlamaOptParams), nameof(LlamaOptParams.ParamFilterUserData), 16)]
    [InlineData(typeof(LlamaOptParams), nameof(LlamaOptParams.GetOptimizerParams), 24)]
    [InlineData(typeof(LlamaOptParams), nameof(LlamaOptParams.GetOptimizerParamsUserData), 32)]
    [InlineData(typeof(LlamaOptParams), nameof(LlamaOptParams.OptimizerType), 40)]
    public void Other_struct_offsets_match_header(Type type, string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf(type, field));

    [Fact]
    public void Model_default_params_hold_the_documented_defaults()
    {
        _ = LlamaRuntime.Info;
        var p = NativeMethods.llama_model_default_params();
        Assert.Equal(nint.Zero, p.Devices);
        Assert.Equal(nint.Zero, p.TensorBuftOverrides);
        Assert.Equal(-1, p.NGpuLayers);
        Assert.Equal(LlamaSplitMode.Layer, p.SplitMode);
        Assert.Equal(LlamaLoadMode.Auto, p.LoadMode);
        Assert.Equal(LlamaLazyMode.Auto, p.LazyMode);
        Assert.Equal(0, p.MainGpu);
        Assert.Equal(nint.Zero, p.TensorSplit);
        Assert.Equal(nint.Zero, p.ProgressCallback);
        Assert.Equal(nint.Zero, p.KvOverrides);
        Assert.Equal(0, p.VocabOnly);
        Assert.Equal(0, p.CheckTensors);
        Assert.Equal(1, p.UseExtraBufts);
        Assert.Equal(0, p.NoHost);
        Assert.Equal(0, p.NoAlloc);
        Assert.Equal(0, p.LoadMtp);
    }

    [Fact]
    public void Context_default_params_hold_the_documented_defaults()
    {
        _ = LlamaRuntime.Info;
        var p = NativeMethods.llama_context_default_params();
        Assert.Equal(512u, p.NCtx);
        Assert.Equal(2048u, p.NBatch);
        Assert.Equal(512u, p.NUbatch);
        Assert.Equal(1u, p.NSeqMax);
        Assert.Equal(0u, p.NRsSeq);
        Assert.Equal(0u, p.NOutputsMax);
        Assert.Equal(1u, p.NOutputsMaxPerSeq);
        Assert.Equal(4, p.NThreads); // GGML_DEFAULT_N_THREADS
        Assert.Equal(4, p.NThreadsBatch);
        Assert.Equal(0, p.ContextType);
        Assert.Equal(-1, p.RopeScalingType);
        Assert.Equal(LlamaPoolingType.Unspecified, p.PoolingType);
        Assert.Equal(-1, p.AttentionType);
        Assert.Equal(LlamaFlashAttentionType.Auto, p.FlashAttentionType);
        Assert.Equal(0f, p.RopeFreqBase);
        Assert.Equal(0f, p.RopeFreqScale);
        Assert.Equal(-1f, p.YarnExtFactor);
        Assert.Equal(-1f, p.YarnAttnFactor);
        Assert.Equal(-1f, p.YarnBetaFast);
        Assert.Equal(-1f, p.YarnBetaSlow);
        Assert.Equal(0u, p.YarnOrigCtx);
        Assert.Equal(-1f, p.DefragThreshold);
        Assert.Equal(nint.Zero, p.CbEval);
        Assert.Equal(GgmlType.F16, p.TypeK);
        Assert.Equal(GgmlType.F16, p.TypeV);
        Assert.Equal(nint.Zero, p.AbortCallback);
        Assert.Equal(0, p.Embeddings);
        Assert.Equal(1, p.OffloadKqv);
        Assert.Equal(1, p.NoPerf);
        Assert.Equal(1, p.OpOffload);
        Assert.Equal(1, p.SwaFull);
        Assert.Equal(0, p.KvUnified);
        Assert.Equal(nint.Zero, p.Samplers);
        Assert.Equal(0u, p.NSamplers);
        Assert.Equal(nint.Zero, p.ContextOther);
    }

    [Fact]
    public void Sampler_chain_default_params_disable_perf()
    {
        _ = LlamaRuntime.Info;
        Assert.Equal(1, NativeMethods.llama_sampler_chain_default_params().NoPerf);
    }

    [Fact]
    public void Default_optimizer_params_hold_ggml_opt_defaults()
    {
        _ = LlamaRuntime.Info;
        var p = NativeMethods.ggml_opt_get_default_optimizer_params(nint.Zero);
        Assert.Equal(0.001f, p.AdamWAlpha);
        Assert.Equal(0.9f, p.AdamWBeta1);
        Assert.Equal(0.999f, p.AdamWBeta2);
        Assert.Equal(1e-8f, p.AdamWEps);
        Assert.Equal(0f, p.AdamWWeightDecay);
        Assert.Equal(1e-3f, p.SgdAlpha);
        Assert.Equal(0f, p.SgdWeightDecay);
    }

    [Fact]
    public void Managed_ggml_type_traits_match_the_native_library()
    {
        _ = LlamaRuntime.Info;
        foreach (var type in Enum.GetValues<GgmlType>())
        {
            Assert.True(GgmlTypeTraits.TryGet(type, out var blockSize, out var blockBytes), type.ToString());
            Assert.Equal(NativeMethods.ggml_blck_size(type), blockSize);
            Assert.Equal((int)NativeMethods.ggml_type_size(type), blockBytes);
        }
    }
}
