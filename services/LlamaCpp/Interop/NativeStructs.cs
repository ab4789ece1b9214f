using System.Runtime.InteropServices;
using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Interop;

// Mirrors of the structs in include/llama.h and ggml/include/ggml-opt.h of the pinned llama.cpp
// (node-llama-cpp 3.22.1, git de3ff815). C bool is one byte, so booleans are bytes here; every
// pointer is nint so the structs stay blittable for LibraryImport. LayoutTests pins the offsets.

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParams
{
    public nint Devices;
    public nint TensorBuftOverrides;
    public int NGpuLayers;
    public LlamaSplitMode SplitMode;
    public LlamaLoadMode LoadMode;
    public LlamaLazyMode LazyMode;
    public int MainGpu;
    public nint TensorSplit;
    public nint ProgressCallback;
    public nint ProgressCallbackUserData;
    public nint KvOverrides;
    public byte VocabOnly;
    public byte CheckTensors;
    public byte UseExtraBufts;
    public byte NoHost;
    public byte NoAlloc;
    public byte LoadMtp;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaContextParams
{
    public uint NCtx;
    public uint NBatch;
    public uint NUbatch;
    public uint NSeqMax;
    public uint NRsSeq;
    public uint NOutputsMax;
    public uint NOutputsMaxPerSeq;
    public int NThreads;
    public int NThreadsBatch;
    public int ContextType;
    public int RopeScalingType;
    public LlamaPoolingType PoolingType;
    public int AttentionType;
    public LlamaFlashAttentionType FlashAttentionType;
    public float RopeFreqBase;
    public float RopeFreqScale;
    public float YarnExtFactor;
    public float YarnAttnFactor;
    public float YarnBetaFast;
    public float YarnBetaSlow;
    public uint YarnOrigCtx;
    public float DefragThreshold;
    public nint CbEval;
    public nint CbEvalUserData;
    public GgmlType TypeK;
    public GgmlType TypeV;
    public nint AbortCallback;
    public nint AbortCallbackData;
    public byte Embeddings;
    public byte OffloadKqv;
    public byte NoPerf;
    public byte OpOffload;
    public byte SwaFull;
    public byte KvUnified;
    public nint Samplers;
    public nuint NSamplers;
    public nint ContextOther;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaBatchNative
{
    public int NTokens;
    public nint Token;
    public nint Embd;
    public nint Pos;
    public nint NSeqId;
    public nint SeqId;
    public nint Logits;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaSamplerChainParams
{
    public byte NoPerf;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaChatMessageNative
{
    public nint Role;
    public nint Content;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenData
{
    public int Id;
    public float Logit;
    public float P;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenDataArray
{
    public nint Data;
    public nuint Size;
    public long Selected;
    public byte Sorted;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaLogitBias
{
    public int Token;
    public float Bias;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaPerfContextData
{
    public double StartMs;
    public double LoadMs;
    public double PromptEvalMs;
    public double EvalMs;
    public int PromptEvalCount;
    public int EvalCount;
    public int GraphReuseCount;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaOptParams
{
    public uint NCtxTrain;
    public nint ParamFilter;
    public nint ParamFilterUserData;
    public nint GetOptimizerParams;
    public nint GetOptimizerParamsUserData;
    public GgmlOptOptimizerType OptimizerType;
}

[StructLayout(LayoutKind.Sequential)]
internal struct GgmlOptOptimizerParams
{
    public float AdamWAlpha;
    public float AdamWBeta1;
    public float AdamWBeta2;
    public float AdamWEps;
    public float AdamWWeightDecay;
    public float SgdAlpha;
    public float SgdWeightDecay;
}

internal enum LlamaSplitMode
{
    None = 0,
    Layer = 1,
    Row = 2,
    Tensor = 3,
}

internal enum LlamaLoadMode
{
    Auto = -1,
    None = 0,
    Mmap = 1,
    Mlock = 2,
    MmapMlock = 3,
    DirectIo = 4,
}

internal enum LlamaLazyMode
{
    Off = 0,
    Auto = 1,
    On = 2,
}

internal enum LlamaFlashAttentionType
{
    Auto = -1,
    Disabled = 0,
    Enabled = 1,
}

internal enum GgmlOptOptimizerType
{
    AdamW = 0,
    Sgd = 1,
}

internal enum GgmlBackendDeviceType
{
    Cpu = 0,
    Gpu = 1,
    IntegratedGpu = 2,
    Accelerator = 3,
    Meta = 4,
}

internal enum GgmlLogLevel
{
    None = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Continue = 5,
}
