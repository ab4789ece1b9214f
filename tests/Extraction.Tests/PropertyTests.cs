using CsCheck;
using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.HostileBodies;

namespace DomainPlatform.Extraction.Tests;

/// <summary>Generated hostile bodies into every field of extraction's endpoints: never a 5xx, always problem details.</summary>
public sealed class PropertyTests(ExtractionFactory factory) : IClassFixture<ExtractionFactory>
{
    private const long Iterations = 300;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Gen<HostileJson> UniqueName(string prefix) =>
        Gen.Frequency((3, Gen.Const(0).Select(_ => new HostileJson($"\"{prefix}-{Guid.NewGuid():N}\"", false))), (1, Value));

    [Fact]
    public async Task Adding_a_source_never_fails_on_any_body()
    {
        var row = Object(("customer", Mostly("\"ACME\"")), ("amount", Mostly("12.5")));
        await NeverFailAsync(factory.CreateClient(), HttpMethod.Post, "/api/sources", Object(
            ("name", UniqueName("src")), ("kind", Gen.OneOf(Mostly("\"document\""), Mostly("\"table\""), Mostly("\"sql\""))),
            ("text", Mostly("\"Every SQL query with a join needs an index.\"")), ("rows", Gen.Frequency((3, row.Select(r => r with { Json = $"[{r.Json}]" })), (1, Value))),
            ("query", Mostly("\"SELECT 1\"")), ("description", Mostly("\"notes\"")), ("domain", Mostly("\"sql-agent\""))), Iterations, Ct);
    }

    [Fact]
    public async Task Datasets_budgets_and_profiles_never_fail_on_any_body()
    {
        var client = factory.CreateClient();
        await NeverFailAsync(client, HttpMethod.Post, "/api/datasets", Object(
            ("domain", Mostly("\"sql-agent\"")), ("name", UniqueName("set")), ("sourceIds", Value), ("epsilon", Mostly("0.01"))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Put, $"/api/privacy/budgets/fuzz-{Guid.NewGuid():N}"[..40], Object(("totalEpsilon", Mostly("5"))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Post, "/api/extraction/profiles", Object(
            ("domain", Mostly($"\"fuzz-{Guid.NewGuid():N}\"")), ("keywords", Mostly("[\"invoice\"]"))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Post, "/api/extraction/detect", Object(("text", Mostly("\"an invoice\""))), Iterations, Ct);
    }
}
