using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.LlamaCpp.Interop;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.LlamaCpp;

/// <summary>How to load a model.</summary>
public sealed record LlamaModelOptions
{
    /// <summary>Layers to place on the GPU; negative means all of them. Ignored where no GPU device exists.</summary>
    public int GpuLayers { get; init; } = -1;
    public bool UseMmap { get; init; } = true;
    /// <summary>Check the file with the managed GGUF validator before llama.cpp opens it.</summary>
    public bool ValidateGguf { get; init; } = true;
    /// <summary>Architectures the validator accepts; null means <see cref="GgufValidator.SupportedArchitectures"/>.</summary>
    public IReadOnlySet<string>? SupportedArchitectures { get; init; }
    /// <summary>Called with 0..1 while tensors load; return false to cancel the load.</summary>
    public Func<float, bool>? Progress { get; init; }
}

/// <summary>One chat turn for <see cref="LlamaModel.ApplyChatTemplate"/>.</summary>
public sealed record LlamaChatMessage(string Role, string Content);

/// <summary>A loaded GGUF model. Thread-safe for reads; contexts created from it keep it alive.</summary>
public sealed class LlamaModel : IDisposable
{
    /// <summary>Template used when the GGUF carries none (a llama.cpp built-in name).</summary>
    public const string FallbackChatTemplate = "chatml";
    /// <summary>The <see cref="Device"/> of a model with no layer offloaded (ggml's name of the CPU device).</summary>
    public const string CpuDevice = "CPU";

    private readonly SafeLlamaModelHandle _handle;
    private static int _nativeLoadAttempts;

    private LlamaModel(SafeLlamaModelHandle handle, string path, int gpuLayersRequested, int gpuLayersPlaced, string device, bool memoryMapped)
    {
        Device = device;
        _handle = handle;
        IsMemoryMapped = memoryMapped;
        Path = path;
        GpuLayersRequested = gpuLayersRequested;
        GpuLayersPlaced = gpuLayersPlaced;
        Vocab = new LlamaVocab(this, NativeMethods.llama_model_get_vocab(handle));
        LayerCount = NativeMethods.llama_model_n_layer(handle);
        EmbeddingSize = NativeMethods.llama_model_n_embd(handle);
        EmbeddingOutputSize = NativeMethods.llama_model_n_embd_out(handle);
        HeadCount = NativeMethods.llama_model_n_head(handle);
        KvHeadCount = NativeMethods.llama_model_n_head_kv(handle);
        TrainContextLength = NativeMethods.llama_model_n_ctx_train(handle);
        SizeBytes = NativeMethods.llama_model_size(handle);
        ParameterCount = NativeMethods.llama_model_n_params(handle);
        ChatTemplate = ReadChatTemplate(handle);
    }

    public string Path { get; }
    public LlamaVocab Vocab { get; }
    public int LayerCount { get; }
    public int EmbeddingSize { get; }
    /// <summary>Length of the model's output embeddings (what an embedding context pools); the width for most models.</summary>
    public int EmbeddingOutputSize { get; }
    public int HeadCount { get; }
    public int KvHeadCount { get; }
    public int TrainContextLength { get; }
    public ulong SizeBytes { get; }
    public ulong ParameterCount { get; }
    /// <summary>The GGUF's own chat template, or null when it has none.</summary>
    public string? ChatTemplate { get; }
    public int GpuLayersRequested { get; }
    /// <summary>Weights mapped read-only from the file; training needs a model loaded with UseMmap = false.</summary>
    public bool IsMemoryMapped { get; }
    /// <summary>Layers (including the output layer) llama.cpp offloads to a GPU: 0 without a GPU device.</summary>
    public int GpuLayersPlaced { get; }
    /// <summary>Where the offloaded layers run: the GPU devices' names (ggml's, e.g. "CUDA0"), or "CPU" when none are offloaded.</summary>
    public string Device { get; }
    /// <summary>Width of one layer's keys (and values) per KV cell: the head size times the KV heads.</summary>
    public int KvWidth => HeadCount == 0 ? 0 : EmbeddingSize / HeadCount * KvHeadCount;

    internal SafeLlamaModelHandle Handle => _handle;

    /// <summary>How many times this process handed a file to llama_model_load_from_file (tests prove refused files never get there).</summary>
    internal static int NativeLoadAttempts => Volatile.Read(ref _nativeLoadAttempts);

    public string Description
    {
        get
        {
            Span<byte> buffer = stackalloc byte[256];
            int written;
            unsafe
            {
                fixed (byte* pointer = buffer)
                {
                    written = NativeMethods.llama_model_desc(_handle, pointer, (nuint)buffer.Length);
                }
            }
            return written <= 0 ? "" : Encoding.UTF8.GetString(buffer[..Math.Min(written, buffer.Length - 1)]);
        }
    }

    /// <summary>Loads a model. Throws <see cref="GgufFormatException"/> for a file the validator refuses, <see cref="LlamaException"/> when llama.cpp fails.</summary>
    public static LlamaModel Load(string path, LlamaModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new LlamaModelOptions();
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Model file '{fullPath}' does not exist.", fullPath);
        }
        if (options.ValidateGguf)
        {
            GgufValidator.ValidateFile(fullPath, options.SupportedArchitectures);
        }

        var runtime = LlamaRuntime.Info;
        var parameters = NativeMethods.llama_model_default_params();
        parameters.NGpuLayers = options.GpuLayers;
        parameters.LoadMode = options.UseMmap ? LlamaLoadMode.Mmap : LlamaLoadMode.None;

        var progress = options.Progress is null ? default : GCHandle.Alloc(options.Progress);
        SafeLlamaModelHandle handle;
        try
        {
            if (progress.IsAllocated)
            {
                unsafe
                {
                    parameters.ProgressCallback = (nint)(delegate* unmanaged[Cdecl]<float, nint, byte>)&OnProgress;
                }
                parameters.ProgressCallbackUserData = GCHandle.ToIntPtr(progress);
            }
            LlamaRuntime.ClearLastError();
            Interlocked.Increment(ref _nativeLoadAttempts);
            handle = NativeMethods.llama_model_load_from_file(fullPath, parameters);
        }
        finally
        {
            if (progress.IsAllocated)
            {
                progress.Free();
            }
        }
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new LlamaException($"llama.cpp could not load '{fullPath}': {LlamaRuntime.LastError ?? "no reason given (load cancelled?)"}");
        }

        var layers = NativeMethods.llama_model_n_layer(handle);
        // llama.cpp offloads the repeating layers plus the output layer, so "all" is n_layer + 1.
        var placed = !runtime.HasGpu ? 0 : options.GpuLayers < 0 ? layers + 1 : Math.Min(options.GpuLayers, layers + 1);
        var gpus = string.Join(", ", runtime.Devices.Where(d => d.Kind is LlamaDeviceKind.Gpu or LlamaDeviceKind.IntegratedGpu).Select(d => d.Name));
        var model = new LlamaModel(handle, fullPath, options.GpuLayers, placed, placed > 0 ? gpus : CpuDevice, options.UseMmap);
        LlamaRuntime.Logger.LogInformation(
            "Loaded {Path}: {Description}, {Layers} layers, {Params} parameters, {MiB} MiB; {Placed}/{Total} layers on GPU{Devices}",
            fullPath, model.Description, layers, model.ParameterCount, model.SizeBytes >> 20, placed, layers + 1,
            gpus.Length == 0 ? " (no GPU device)" : $" ({gpus})");
        return model;
    }

    /// <summary>A GGUF metadata value as a string, or null when the key is absent.</summary>
    public string? GetMetadata(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        unsafe
        {
            var length = NativeMethods.llama_model_meta_val_str(_handle, key, null, 0);
            if (length < 0)
            {
                return null;
            }
            var buffer = new byte[length + 1];
            fixed (byte* pointer = buffer)
            {
                NativeMethods.llama_model_meta_val_str(_handle, key, pointer, (nuint)buffer.Length);
            }
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
    }

    /// <summary>The pooling the GGUF declares (<c>{architecture}.pooling_type</c>), or Unspecified when it declares none.</summary>
    public LlamaPoolingType DeclaredPooling =>
        GetMetadata("general.architecture") is { } architecture
        && int.TryParse(GetMetadata($"{architecture}.pooling_type"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
        && Enum.IsDefined((LlamaPoolingType)value)
            ? (LlamaPoolingType)value
            : LlamaPoolingType.Unspecified;

    /// <summary>All scalar metadata (arrays are not reported by llama.cpp's accessors).</summary>
    public IReadOnlyDictionary<string, string> GetAllMetadata()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var count = NativeMethods.llama_model_meta_count(_handle);
        for (var i = 0; i < count; i++)
        {
            var key = ReadIndexed(i, keys: true);
            if (key is not null)
            {
                result[key] = ReadIndexed(i, keys: false) ?? "";
            }
        }
        return result;
    }

    private unsafe string? ReadIndexed(int index, bool keys)
    {
        var length = keys
            ? NativeMethods.llama_model_meta_key_by_index(_handle, index, null, 0)
            : NativeMethods.llama_model_meta_val_str_by_index(_handle, index, null, 0);
        if (length < 0)
        {
            return null;
        }
        var buffer = new byte[length + 1];
        fixed (byte* pointer = buffer)
        {
            _ = keys
                ? NativeMethods.llama_model_meta_key_by_index(_handle, index, pointer, (nuint)buffer.Length)
                : NativeMethods.llama_model_meta_val_str_by_index(_handle, index, pointer, (nuint)buffer.Length);
        }
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>
    /// Formats a conversation with the model's chat template (or <see cref="FallbackChatTemplate"/>),
    /// ending with the assistant prefix when <paramref name="addAssistantPrompt"/> is set.
    /// </summary>
    public string ApplyChatTemplate(IReadOnlyList<LlamaChatMessage> messages, bool addAssistantPrompt = true, string? template = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return LlamaChatTemplate.Apply(template ?? ChatTemplate ?? FallbackChatTemplate, messages, addAssistantPrompt);
    }

    public LlamaContext CreateContext(LlamaContextOptions? options = null) => LlamaContext.Create(this, options ?? new LlamaContextOptions());

    /// <summary>Writes the model (with any weights changed by training) as GGUF.</summary>
    public void SaveToFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        NativeMethods.llama_model_save_to_file(_handle, System.IO.Path.GetFullPath(path));
    }

    public void Dispose() => _handle.Dispose();

    private static string? ReadChatTemplate(SafeLlamaModelHandle handle)
    {
        unsafe
        {
            var pointer = NativeMethods.llama_model_chat_template(handle, null);
            return pointer == nint.Zero ? null : Marshal.PtrToStringUTF8(pointer);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte OnProgress(float progress, nint userData)
    {
        try
        {
            var callback = (Func<float, bool>)GCHandle.FromIntPtr(userData).Target!;
            return callback(progress) ? (byte)1 : (byte)0;
        }
        catch (Exception exception)
        {
            // Never unwind into native code: a failing progress callback cancels the load.
            LlamaRuntime.Logger.LogError(exception, "Model load progress callback failed; cancelling the load");
            return 0;
        }
    }
}
