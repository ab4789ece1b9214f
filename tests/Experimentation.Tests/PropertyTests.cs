using CsCheck;
using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.HostileBodies;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>Generated hostile bodies into every field of experimentation's main endpoints: never a 5xx, always problem details.</summary>
public sealed class PropertyTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    private const long Iterations = 300;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Gen<HostileJson> Variant = Object(("name", Mostly("\"control\"")), ("modelVersion", Mostly("\"1.0.0\"")), ("weight", Mostly("50")));
    private static readonly Gen<HostileJson> Variants = Gen.Frequency(
        (3, Gen.Select(Variant, Object(("name", Mostly("\"b\"")), ("modelVersion", Mostly("\"1.1.0\"")), ("weight", Mostly("50"))),
            (a, b) => new HostileJson($"[{a.Json},{b.Json}]", a.MustBeRefused || b.MustBeRefused))),
        (1, Value));

    [Fact]
    public async Task Creating_an_experiment_never_fails_on_any_body()
    {
        await NeverFailAsync(factory.CreateClient(), HttpMethod.Post, "/api/experiments", Object(
            ("name", Mostly("\"abn\"")), ("domain", Gen.Frequency((3, Gen.Const(0).Select(_ => new HostileJson($"\"{ExperimentsApiTests.NewDomain()}\"", false))), (1, Value))),
            ("variants", Variants), ("primaryMetric", Mostly("\"accuracy\"")),
            ("guardrailMetrics", Gen.Frequency((3, Object(("metric", Mostly("\"latency_ms\"")), ("maxRelativeDegradation", Mostly("0.2"))).Select(g => g with { Json = $"[{g.Json}]" })), (1, Value))),
            ("minimumDetectableEffect", Mostly("0.05")), ("alpha", Mostly("0.05")), ("power", Mostly("0.8")), ("minSamples", Mostly("100")),
            ("minDurationSeconds", Mostly("0")), ("analysisMethod", Mostly("\"bayesian\"")), ("correction", Mostly("\"bh\"")),
            ("deployWinner", Mostly("false")), ("stopOnGuardrail", Mostly("true"))), Iterations, Ct);
    }

    [Fact]
    public async Task Actions_and_webhooks_never_fail_on_any_body()
    {
        var client = factory.CreateClient();
        var created = await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "fuzzed", domain = ExperimentsApiTests.NewDomain(),
            variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "b", modelVersion = "1.1.0" } },
        }, Ct);
        var id = created.GetProperty("id").GetString();
        await NeverFailAsync(client, HttpMethod.Put, $"/api/experiments/{id}/weights",
            Object(("weights", Gen.OneOf(Object(("control", Mostly("60")), ("b", Mostly("40"))), Value)), ("reason", Mostly("\"why\""))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Post, $"/api/experiments/{id}/start", Object("force"), Iterations / 3, Ct);
        await NeverFailAsync(client, HttpMethod.Post, $"/api/experiments/{id}/conclude", Object(("force", Mostly("false")), ("reason", Mostly("\"done\""))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Post, "/api/alerts/webhooks", Object(("url", Mostly("\"http://127.0.0.1:9/hook\"")), ("minLevel", Mostly("\"CRITICAL\""))), Iterations, Ct);
    }
}
