using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Bodies generated from the gateway's own OpenAPI document into every POST, PUT and PATCH (<see cref="OpenApiFuzz"/>), as an admin.</summary>
public sealed class OpenApiFuzzTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_write_operation_keeps_to_its_documented_schema()
    {
        var admin = factory.CreateClient(factory.AdminKey);
        var report = await OpenApiFuzz.RunAsync(admin, new FuzzOptions { RequestsPerOperation = 100 }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(report.Summary("gateway"));
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary("gateway"));
    }
}
