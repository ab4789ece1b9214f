using DomainPlatform.TestSupport;

namespace DomainPlatform.Extraction.Tests;

/// <summary>The extraction service on real infrastructure, writing datasets into a folder of its own.</summary>
public sealed class ExtractionFactory() : ServiceFactory<Program>("extractiondb")
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), TestInfrastructure.UniqueName("extraction"));

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Extraction:DataDirectory", DataDirectory),
        new("Extraction:Profiles:sql-agent:0", "sql"),
        new("Extraction:Profiles:sql-agent:1", "query"),
        new("Extraction:Profiles:sql-agent:2", "join"),
        new("Extraction:Profiles:billing:0", "invoice"),
        new("Extraction:Profiles:billing:1", "payment"),
        new("Extraction:Profiles:billing:2", "amount due"),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
