using System.Net.Http.Json;
using System.Text.Json;
using CsCheck;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>Bodies generated from experimentation's own OpenAPI document into every POST, PUT and PATCH (<see cref="OpenApiFuzz"/>).</summary>
public sealed class OpenApiFuzzTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_write_operation_keeps_to_its_documented_schema()
    {
        var client = factory.CreateClient();
        var domain = $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-fuzz";
        var variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "treatment", modelVersion = "1.1.0" } };
        var created = await client.PostAsJsonAsync("/api/experiments", new { name = "fuzzed", domain, variants }, Ct);
        created.EnsureSuccessStatusCode();
        var experiment = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        var report = await OpenApiFuzz.RunAsync(client, new FuzzOptions
        {
            PathValues = new Dictionary<string, Gen<string>>
            {
                ["id"] = Gen.Frequency((3, Gen.Const(experiment)), (1, Gen.Guid.Select(g => g.ToString()))),
            },
            PropertyValues = new Dictionary<string, Gen<string>>
            {
                ["domain"] = Gen.Const($"\"{domain}\""),
                ["variants"] = Gen.Const(JsonSerializer.Serialize(variants)),
                ["name"] = Gen.OneOf("\"control\"", "\"treatment\"", "\"fuzzed\""),
                ["weights"] = Gen.Select(Gen.Double[0, 100], Gen.Double[0, 100], (a, b) => JsonSerializer.Serialize(new { control = a, treatment = b })),
                ["url"] = Gen.Const("\"http://127.0.0.1:9/hook\""),
                ["minLevel"] = Gen.OneOf("\"info\"", "\"warning\"", "\"critical\""),
                ["primaryMetric"] = Gen.OneOf("\"accuracy\"", "\"latency_ms\""),
                ["latencyP95Ms"] = Gen.OneOf("500", "2000"),
                ["maxErrorRate"] = Gen.OneOf("0.05", "0"),
                ["minAvailability"] = Gen.OneOf("0.99", "1"),
                ["minAccuracy"] = Gen.OneOf("0.8", "null"),
                ["windowSeconds"] = Gen.OneOf("300", "60"),
                ["scope"] = Gen.OneOf("\"domain\"", "\"platform\""),
                ["cadence"] = Gen.OneOf("\"daily\"", "\"weekly\""),
                ["hourUtc"] = Gen.OneOf("0", "6", "23"),
                ["dayOfWeek"] = Gen.OneOf("\"monday\"", "\"sunday\"", "null"),
            },
        }, Ct);
        // The fuzz may end on POST /api/alerts/monitoring/stop: leave no pause in the Redis database a later run's monitor tests get.
        (await client.PostAsync("/api/alerts/monitoring/start", null, Ct)).EnsureSuccessStatusCode();
        TestContext.Current.TestOutputHelper?.WriteLine(report.Summary("experimentation"));
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary("experimentation"));
    }
}
