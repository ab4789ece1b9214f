using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.Inference.Tests;

/// <summary>Tiny llama models the tests generate once per run into a temporary folder.</summary>
public static class TinyModels
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"inference-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return folder;
    });

    private static readonly Lazy<string> DefaultModel = new(() => Write("tiny.gguf", new TinyModelOptions { ContextLength = 8192, Seed = 7 }));

    /// <summary>2 layers, width 64, F32: fast enough for many requests.</summary>
    public static string Default => DefaultModel.Value;

    public static string Write(string name, TinyModelOptions options)
    {
        var path = Path.Combine(Folder.Value, name);
        lock (Folder)
        {
            if (!File.Exists(path))
            {
                TinyModelGenerator.Write(path + ".tmp", options);
                File.Move(path + ".tmp", path);
            }
        }
        return path;
    }

    /// <summary>A copy of a file with its bytes changed by <paramref name="damage"/>.</summary>
    public static string Damaged(string name, Func<byte[], byte[]> damage)
    {
        var path = Path.Combine(Folder.Value, name);
        File.WriteAllBytes(path, damage(File.ReadAllBytes(Default)));
        return path;
    }

    public static string Sha256(string path) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
