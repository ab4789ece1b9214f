using CsCheck;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Extraction.Tests;

/// <summary>Bodies generated from extraction's own OpenAPI document into every POST, PUT and PATCH (<see cref="OpenApiFuzz"/>).</summary>
public sealed class OpenApiFuzzTests(ExtractionFactory factory) : IClassFixture<ExtractionFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_write_operation_keeps_to_its_documented_schema()
    {
        var client = factory.CreateClient();
        var domain = $"fuzz-{Guid.NewGuid():N}"[..20];
        var report = await OpenApiFuzz.RunAsync(client, new FuzzOptions
        {
            RequestsPerOperation = 100,
            PathValues = new Dictionary<string, Gen<string>> { ["domain"] = Gen.Const(domain) },
            PropertyValues = new Dictionary<string, Gen<string>>
            {
                ["domain"] = Gen.Const($"\"{domain}\""),
                ["name"] = Gen.Const(0).Select(_ => $"\"fuzz-{Guid.NewGuid():N}\""),
                ["kind"] = Gen.OneOf("\"document\"", "\"table\"", "\"sql\""),
                ["text"] = Gen.Const("\"Every invoice lists the customer and the amount.\""),
                ["rows"] = Gen.Const("[{\"customer\":\"ACME\",\"amount\":12.5}]"),
                ["query"] = Gen.Const("\"SELECT customer, amount FROM invoices\""),
                ["keywords"] = Gen.Const("[\"invoice\",\"customer\"]"),
            },
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(report.Summary("extraction"));
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary("extraction"));
    }
}
