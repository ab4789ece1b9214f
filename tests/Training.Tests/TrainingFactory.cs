using DomainPlatform.TestSupport;

namespace DomainPlatform.Training.Tests;

/// <summary>Files a training test needs: a stand-in GGUF base model and folders for datasets and artifacts.</summary>
public sealed class TrainingFiles : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), TestInfrastructure.UniqueName("training"));
    public string BaseModelPath => Path.Combine(Root, "base.gguf");
    public string ArtifactDirectory => Path.Combine(Root, "artifacts");

    public TrainingFiles()
    {
        Directory.CreateDirectory(Root);
        // Only the GGUF magic and some bytes: the validation trainer copies the model, it never loads it.
        File.WriteAllBytes(BaseModelPath, [.. "GGUF"u8, 3, 0, 0, 0, .. Enumerable.Range(0, 4096).Select(i => (byte)i)]);
    }

    public IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Training:BaseModelPath", BaseModelPath),
        new("Training:BaseModelVersion", "1.0.0"),
        new("Training:ArtifactDirectory", ArtifactDirectory),
    ];

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}

public sealed class TrainingFactory() : ServiceFactory<Program>("trainingdb")
{
    public TrainingFiles Files { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings => Files.Settings;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Files.Dispose();
        GC.SuppressFinalize(this);
    }
}
