using CsCheck;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Training.Tests;

/// <summary>Bodies generated from training's own OpenAPI document into every POST, PUT and PATCH (<see cref="OpenApiFuzz"/>).</summary>
public sealed class OpenApiFuzzTests(TrainingFactory factory) : IClassFixture<TrainingFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_write_operation_keeps_to_its_documented_schema()
    {
        var client = factory.CreateClient();
        var report = await OpenApiFuzz.RunAsync(client, new FuzzOptions
        {
            RequestsPerOperation = 150,
            PropertyValues = new Dictionary<string, Gen<string>>
            {
                ["baseModelPath"] = Gen.Const(System.Text.Json.JsonSerializer.Serialize(factory.Files.BaseModelPath)),
            },
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(report.Summary("training"));
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary("training"));
    }
}
