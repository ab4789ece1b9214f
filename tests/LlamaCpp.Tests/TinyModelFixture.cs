using DomainPlatform.LlamaCpp.Gguf;

[assembly: AssemblyFixture(typeof(DomainPlatform.LlamaCpp.Tests.TinyModelFixture))]

namespace DomainPlatform.LlamaCpp.Tests;

/// <summary>One generated model per test run, in its own temp folder, shared by the native tests.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public static readonly TinyModelOptions Options = new()
    {
        Layers = 2,
        EmbeddingSize = 64,
        Heads = 4,
        KvHeads = 2,
        FeedForwardSize = 128,
        ContextLength = 512,
        Seed = 7,
        Name = "test-tiny",
    };

    public TinyModelFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("llamacpp-tests-").FullName;
        ModelPath = Path.Combine(Directory, "tiny.gguf");
        Summary = TinyModelGenerator.Write(ModelPath, Options);
        Model = LlamaModel.Load(ModelPath, new LlamaModelOptions { GpuLayers = 0 });
    }

    public string Directory { get; }
    public string ModelPath { get; }
    public TinyModelSummary Summary { get; }
    public LlamaModel Model { get; }

    /// <summary>A fresh path inside the fixture's temp folder.</summary>
    public string NewPath(string name) => Path.Combine(Directory, $"{Guid.NewGuid():N}-{name}");

    public void Dispose()
    {
        Model.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
