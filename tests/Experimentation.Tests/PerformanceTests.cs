using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>The service with prices for cost per request: defaults, and one of its own for version 1.1.0 of <see cref="Domain"/>.</summary>
public sealed class PricedFactory() : ServiceFactory<Program>("experimentationdb")
{
    public string Domain { get; } = ExperimentsApiTests.NewDomain();

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Costs:PromptPricePer1kTokens", "0.5"), new("Costs:CompletionPricePer1kTokens", "1.5"), new("Costs:Currency", "EUR"),
        new("Costs:Prices:0:Domain", Domain), new("Costs:Prices:0:ModelVersion", "1.1.0"),
        new("Costs:Prices:0:PromptPricePer1kTokens", "2"), new("Costs:Prices:0:CompletionPricePer1kTokens", "4"),
    ];
}

public sealed class PerformanceTests(PricedFactory factory) : IClassFixture<PricedFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An outcome at a chosen instant (its bucket is that of <paramref name="at"/>).</summary>
    internal static InferenceCompleted At(DateTimeOffset at, string domain, string variant, string version, double latency, bool ok = true, int tokensIn = 20, int tokensOut = 40) =>
        IngestionTests.Inference(domain, variant, version, latency, ok) with { OccurredAt = at, TokensIn = tokensIn, TokensOut = tokensOut };

    [Fact]
    public async Task A_known_history_reads_exact_throughput_cost_and_percentiles_within_their_bound()
    {
        var client = factory.CreateClient();
        var domain = factory.Domain;
        // An hour ago, on a bucket boundary: a 60-second window of six 10-second buckets.
        var start = new DateTimeOffset(OutcomeMetrics.BucketOf(DateTimeOffset.UtcNow.AddHours(-1)));
        var random = new Random(7);
        var latencies = Enumerable.Range(0, 200).Select(_ => Math.Round(Math.Exp(4 + random.NextDouble() * 3), 3)).ToArray();
        var events = new List<InferenceCompleted>();
        for (var i = 0; i < latencies.Length; i++)
            events.Add(At(start.AddSeconds(i % 60), domain, "stable", "1.0.0", latencies[i], tokensIn: 10 + i % 3, tokensOut: 100));
        // 10 failures (no latency, no tokens) and 40 requests of the canary in the same window; one outcome just after it.
        for (var i = 0; i < 10; i++) events.Add(At(start.AddSeconds(5 * i), domain, "stable", "1.0.0", 0, ok: false));
        for (var i = 0; i < 40; i++) events.Add(At(start.AddSeconds(i), domain, "canary", "1.1.0", 50 + i));
        events.Add(At(start.AddSeconds(60), domain, "stable", "1.0.0", 99999));

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        using var consumed = ConsumedEvents.Observe(factory.Services);
        foreach (var evt in events) await broker.PublishAsync(evt);
        await consumed.WaitForAsync("the history consumed", [.. events.Select(e => e.EventId)]);

        var until = start.AddSeconds(60).ToUnixTimeMilliseconds();
        var view = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/performance?domain={domain}&windowSeconds=60&untilUnixMs={until}", Ct);
        Assert.Equal(60, view.GetProperty("windowSeconds").GetInt32());
        var groups = view.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("variant").GetString()!, g => g.GetProperty("figures"));
        Assert.Equal(["1.0.0", "1.1.0"], view.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("modelVersion").GetString()));
        var stable = groups["stable"];
        Assert.Equal(210, stable.GetProperty("requests").GetInt64());
        Assert.Equal(210.0 / 60, stable.GetProperty("throughputPerSecond").GetDouble(), 12);
        Assert.Equal(10.0 / 210, stable.GetProperty("errorRate").GetDouble(), 12);
        var latency = stable.GetProperty("latency");
        Assert.Equal(200, latency.GetProperty("count").GetInt64());
        Assert.Equal(latencies.Average(), latency.GetProperty("meanMs").GetDouble(), 6);
        foreach (var (p, name) in new[] { (50.0, "p50Ms"), (95.0, "p95Ms"), (99.0, "p99Ms") })
        {
            var exact = LatencyHistogram.ExactPercentile(latencies, p);
            Assert.InRange(latency.GetProperty(name).GetDouble(), exact * (1 - LatencyHistogram.RelativeError), exact * (1 + LatencyHistogram.RelativeError));
        }
        var cost = stable.GetProperty("cost");
        var tokensIn = Enumerable.Range(0, 200).Sum(i => 10 + i % 3);
        var total = (tokensIn * 0.5 + 200 * 100 * 1.5) / 1000;
        Assert.Equal(total, cost.GetProperty("totalCost").GetDouble(), 9);
        Assert.Equal(total / 200, cost.GetProperty("costPerRequest").GetDouble(), 12);
        Assert.Equal("EUR", cost.GetProperty("currency").GetString());

        var canary = groups["canary"];
        Assert.Equal(40, canary.GetProperty("requests").GetInt64());
        // The canary's version has a price of its own: 40 × (20 prompt tokens at 2 + 40 completion tokens at 4) / 1000.
        Assert.Equal(8.0, canary.GetProperty("cost").GetProperty("totalCost").GetDouble(), 9);
        Assert.Equal(0.2, canary.GetProperty("cost").GetProperty("costPerRequest").GetDouble(), 12);
        // 50..89 ms: the 20th value is 69, the 38th 87, the 40th 89.
        Assert.Equal(69, canary.GetProperty("latency").GetProperty("p50Ms").GetDouble(), 69 * 0.01);
        Assert.Equal(87, canary.GetProperty("latency").GetProperty("p95Ms").GetDouble(), 87 * 0.01);
        Assert.Equal(89, canary.GetProperty("latency").GetProperty("p99Ms").GetDouble(), 89 * 0.01);

        // One version only.
        var one = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/performance?domain={domain}&modelVersion=1.1.0&windowSeconds=60&untilUnixMs={until}", Ct);
        Assert.Equal(["canary"], one.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("variant").GetString()));
    }

    [Theory]
    [InlineData("windowSeconds=60", "domain")]
    [InlineData("domain=a&windowSeconds=15", "windowSeconds")]
    [InlineData("domain=a&windowSeconds=0", "windowSeconds")]
    [InlineData("domain=a&untilUnixMs=-5", "untilUnixMs")]
    public async Task Bad_windows_are_refused_naming_the_field(string query, string field)
    {
        using var response = await factory.CreateClient().GetAsync($"/api/metrics/performance?{query}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
