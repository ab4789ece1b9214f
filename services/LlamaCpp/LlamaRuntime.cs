using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DomainPlatform.LlamaCpp.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DomainPlatform.LlamaCpp;

/// <summary>Where to find the llama.cpp native libraries and how to report what happens.</summary>
public sealed record LlamaRuntimeOptions
{
    /// <summary>Directory holding libllama, libggml and libggml-base; overrides LLAMA_NATIVE_DIR and the repository search.</summary>
    public string? NativeDirectory { get; init; }
    /// <summary>Repository root holding .native/; found by walking up to DomainPlatform.sln when null.</summary>
    public string? RepositoryRoot { get; init; }
    /// <summary>Use .native/linux-x64-cuda when it is present and a CUDA driver is usable.</summary>
    public bool PreferCuda { get; init; } = true;
    public ILogger? Logger { get; init; }
    /// <summary>Forward llama.cpp's own log lines at or above this level (its INFO lines are very chatty).</summary>
    public LogLevel NativeLogLevel { get; init; } = LogLevel.Warning;
}

public enum LlamaDeviceKind
{
    Cpu,
    Gpu,
    IntegratedGpu,
    Accelerator,
    Meta,
}

/// <summary>A ggml backend device as ggml_backend_dev_* reports it.</summary>
public sealed record LlamaDevice(string Name, string Description, LlamaDeviceKind Kind, ulong FreeBytes, ulong TotalBytes);

/// <summary>The loaded runtime: which library build, and which devices ggml found.</summary>
public sealed record LlamaRuntimeInfo(string NativeDirectory, bool IsCudaBuild, IReadOnlyList<LlamaDevice> Devices, string SystemInfo)
{
    public bool HasGpu => Devices.Any(device => device.Kind is LlamaDeviceKind.Gpu or LlamaDeviceKind.IntegratedGpu);
}

/// <summary>
/// Loads llama.cpp once per process: resolves the native libraries, lets ggml load its backends from
/// the same directory (the best CPU variant for this machine, CUDA where present) and logs the devices.
/// </summary>
public static class LlamaRuntime
{
    public const string NativeDirectoryVariable = "LLAMA_NATIVE_DIR";
    public const string CpuFolder = "linux-x64";
    public const string CudaFolder = "linux-x64-cuda";

    private static readonly Lock Gate = new();
    private static LlamaRuntimeInfo? _info;
    private static string? _nativeDirectory;
    private static bool _resolverSet;
    private static ILogger _logger = NullLogger.Instance;
    private static LogLevel _nativeLogLevel = LogLevel.Warning;
    private static readonly Dictionary<string, nint> LoadedLibraries = new(StringComparer.Ordinal);

    [ThreadStatic]
    private static StringBuilder? _pendingLine;

    [ThreadStatic]
    private static string? _lastError;

    public static bool IsInitialized => _info is not null;

    /// <summary>The runtime state; initializes with default options on first use.</summary>
    public static LlamaRuntimeInfo Info => _info ?? Initialize();

    /// <summary>Initializes once; later calls return the first result and ignore their options.</summary>
    public static LlamaRuntimeInfo Initialize(LlamaRuntimeOptions? options = null)
    {
        lock (Gate)
        {
            if (_info is not null)
            {
                return _info;
            }
            options ??= new LlamaRuntimeOptions();
            _logger = options.Logger ?? NullLogger.Instance;
            _nativeLogLevel = options.NativeLogLevel;

            var (directory, isCuda) = ResolveNativeDirectory(options);
            _nativeDirectory = directory;
            // The resolver can be set once per assembly; a retry after a failed start reuses it.
            if (!_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(LlamaRuntime).Assembly, Resolve);
                _resolverSet = true;
            }

            // Load in dependency order so each library finds the one it needs already mapped.
            foreach (var name in new[] { NativeMethods.GgmlBase, NativeMethods.Ggml, NativeMethods.Llama })
            {
                LoadLibrary(name);
            }

            unsafe
            {
                NativeMethods.llama_log_set(&OnNativeLog, nint.Zero);
            }
            NativeMethods.ggml_backend_load_all_from_path(directory);
            NativeMethods.llama_backend_init();

            var devices = EnumerateDevices();
            var systemInfo = Marshal.PtrToStringUTF8(NativeMethods.llama_print_system_info()) ?? "";
            _info = new LlamaRuntimeInfo(directory, isCuda, devices, systemInfo);

            _logger.LogInformation("llama.cpp loaded from {Directory} ({Build} build), {Count} device(s)",
                directory, isCuda ? "CUDA" : "CPU", devices.Count);
            foreach (var device in devices)
            {
                _logger.LogInformation("llama.cpp device {Name} ({Kind}): {Description}, {FreeMiB} MiB free of {TotalMiB} MiB",
                    device.Name, device.Kind, device.Description, device.FreeBytes >> 20, device.TotalBytes >> 20);
            }
            _logger.LogDebug("llama.cpp system info: {SystemInfo}", systemInfo);
            return _info;
        }
    }

    internal static ILogger Logger => _logger;

    /// <summary>Forgets the last llama.cpp error logged on this thread, before a call whose failure should be explained.</summary>
    internal static void ClearLastError() => _lastError = null;

    /// <summary>The last llama.cpp error line logged on this thread since <see cref="ClearLastError"/>, if any.</summary>
    internal static string? LastError => _lastError;

    /// <summary>Picks the native directory: explicit option, LLAMA_NATIVE_DIR, then the repository's .native folders.</summary>
    internal static (string Directory, bool IsCuda) ResolveNativeDirectory(LlamaRuntimeOptions options)
    {
        var explicitDirectory = options.NativeDirectory ?? Environment.GetEnvironmentVariable(NativeDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            var full = Path.GetFullPath(explicitDirectory);
            if (FindLibrary(full, NativeMethods.Llama) is null)
            {
                throw new LlamaException($"No libllama shared library in '{full}' (from {(options.NativeDirectory is null ? NativeDirectoryVariable : "options")}).");
            }
            var cudaPresent = Directory.EnumerateFiles(full, "libggml-cuda*.so*").Any();
            return (full, cudaPresent);
        }

        var candidates = new List<string>();
        var root = options.RepositoryRoot ?? FindRepositoryRoot(AppContext.BaseDirectory);
        if (root is not null)
        {
            var cuda = Path.Combine(root, ".native", CudaFolder);
            if (options.PreferCuda && FindLibrary(cuda, NativeMethods.Llama) is not null && CudaDriverUsable(cuda))
            {
                return (cuda, true);
            }
            candidates.Add(Path.Combine(root, ".native", CpuFolder));
        }
        // A published application may carry the libraries next to its assemblies.
        candidates.Add(AppContext.BaseDirectory);
        foreach (var candidate in candidates)
        {
            if (FindLibrary(candidate, NativeMethods.Llama) is not null)
            {
                return (Path.GetFullPath(candidate), false);
            }
        }
        throw new LlamaException(
            $"llama.cpp native libraries not found (looked in {string.Join(", ", candidates)}). " +
            $"Run scripts/fetch-llama.sh at the repository root or set {NativeDirectoryVariable}.");
    }

    internal static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DomainPlatform.sln")))
            {
                return directory.FullName;
            }
        }
        return null;
    }

    /// <summary>
    /// Finds lib{name}.so, then a tagged or versioned lib{name}.*.so (node-llama-cpp ships
    /// libllama.v0.5.0.so and libllama.cuda.v0.5.0.so), then lib{name}.so.* (a CMake install).
    /// </summary>
    internal static string? FindLibrary(string directory, string name)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }
        var exact = Path.Combine(directory, $"lib{name}.so");
        if (File.Exists(exact))
        {
            return exact;
        }
        return Directory.EnumerateFiles(directory, $"lib{name}.*.so")
            .Concat(Directory.EnumerateFiles(directory, $"lib{name}.so.*"))
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>
    /// A CUDA build is only worth loading when the kernel driver, libcuda and the CUDA 13 runtime
    /// libraries libggml-cuda links against (libcudart, libcublas: from the system or dropped into the
    /// CUDA folder) are all there; otherwise ggml would silently fall back to the CPU.
    /// </summary>
    internal static bool CudaDriverUsable(string cudaDirectory)
    {
        if (!File.Exists("/dev/nvidiactl") && !File.Exists("/proc/driver/nvidia/version"))
        {
            return false;
        }
        foreach (var library in new[] { "libcuda.so.1", "libcudart.so.13", "libcublas.so.13" })
        {
            var local = Path.Combine(cudaDirectory, library);
            if (!NativeLibrary.TryLoad(File.Exists(local) ? local : library, out var handle))
            {
                _logger.LogWarning("NVIDIA driver present but {Library} cannot be loaded; using the CPU build of llama.cpp", library);
                return false;
            }
            NativeLibrary.Free(handle);
        }
        return true;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName is NativeMethods.Llama or NativeMethods.Ggml or NativeMethods.GgmlBase ? LoadLibrary(libraryName) : nint.Zero;

    private static nint LoadLibrary(string name)
    {
        lock (LoadedLibraries)
        {
            if (LoadedLibraries.TryGetValue(name, out var existing))
            {
                return existing;
            }
            var directory = _nativeDirectory ?? throw new LlamaException("LlamaRuntime.Initialize has not run.");
            var path = FindLibrary(directory, name)
                ?? throw new LlamaException($"lib{name} not found in '{directory}'.");
            var handle = NativeLibrary.Load(path);
            LoadedLibraries[name] = handle;
            return handle;
        }
    }

    /// <summary>The address of an exported native function, for passing as a C callback.</summary>
    internal static nint GetExport(string library, string symbol) => NativeLibrary.GetExport(LoadLibrary(library), symbol);

    private static List<LlamaDevice> EnumerateDevices()
    {
        var devices = new List<LlamaDevice>();
        var count = NativeMethods.ggml_backend_dev_count();
        for (nuint i = 0; i < count; i++)
        {
            var device = NativeMethods.ggml_backend_dev_get(i);
            NativeMethods.ggml_backend_dev_memory(device, out var free, out var total);
            devices.Add(new LlamaDevice(
                Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_dev_name(device)) ?? "",
                Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_dev_description(device)) ?? "",
                NativeMethods.ggml_backend_dev_type(device) switch
                {
                    GgmlBackendDeviceType.Gpu => LlamaDeviceKind.Gpu,
                    GgmlBackendDeviceType.IntegratedGpu => LlamaDeviceKind.IntegratedGpu,
                    GgmlBackendDeviceType.Accelerator => LlamaDeviceKind.Accelerator,
                    GgmlBackendDeviceType.Meta => LlamaDeviceKind.Meta,
                    _ => LlamaDeviceKind.Cpu,
                },
                free,
                total));
        }
        return devices;
    }

    // llama.cpp logs in fragments; whole lines are assembled per thread before they reach the logger.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnNativeLog(GgmlLogLevel level, nint text, nint userData)
    {
        try
        {
            var fragment = Marshal.PtrToStringUTF8(text) ?? "";
            var pending = _pendingLine ??= new StringBuilder();
            pending.Append(fragment);
            if (!fragment.EndsWith('\n'))
            {
                return;
            }
            var line = pending.ToString().TrimEnd('\n');
            pending.Clear();
            var mapped = level switch
            {
                GgmlLogLevel.Error => LogLevel.Error,
                GgmlLogLevel.Warn => LogLevel.Warning,
                GgmlLogLevel.Info or GgmlLogLevel.Continue => LogLevel.Information,
                _ => LogLevel.Debug,
            };
            if (mapped == LogLevel.Error && line.Length > 0)
            {
                _lastError = line;
            }
            if (mapped >= _nativeLogLevel && line.Length > 0)
            {
                _logger.Log(mapped, "llama.cpp: {Line}", line);
            }
        }
        catch (Exception exception)
        {
            // An exception must never unwind into native code.
            Console.Error.WriteLine($"llama.cpp log callback failed: {exception.Message}");
        }
    }
}

/// <summary>A llama.cpp call failed; the message says which and why where llama.cpp tells.</summary>
public class LlamaException(string message) : Exception(message);
