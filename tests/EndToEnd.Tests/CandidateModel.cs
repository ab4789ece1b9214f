using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// A second tiny model, the "1.1.0" rolled out against the demo model: same shape as the demo (so latency
/// is comparable), other random weights. Written to a temporary file that the local services read.
/// </summary>
public sealed class CandidateModel : IDisposable
{
    public CandidateModel()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"domainplatform-e2e-candidate-{Guid.NewGuid():N}.gguf");
        TinyModelGenerator.Write(Path, new TinyModelOptions { Seed = 1_100, Name = "e2e-candidate" });
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}

/// <summary>
/// A clearly slower "1.1.0": 8 blocks of width 512 where the demo has 2 of 64 (about 5x the demo's decode time on
/// two cores, 137 MB), the degraded canary a rollout must catch by its latency.
/// </summary>
public sealed class SlowerCandidateModel : IDisposable
{
    public SlowerCandidateModel()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"domainplatform-e2e-slower-{Guid.NewGuid():N}.gguf");
        TinyModelGenerator.Write(Path, new TinyModelOptions { Layers = 8, EmbeddingSize = 512, Heads = 8, Seed = 1_200, Name = "e2e-slower" });
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
