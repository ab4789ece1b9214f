using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>The service publishing routing weights every second.</summary>
public sealed class RoutingFactory() : ServiceFactory<Program>("experimentationdb")
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Routing:PublishIntervalSeconds", "1")];
}

public sealed class RoutingTests(RoutingFactory factory) : IClassFixture<RoutingFactory>
{
    [Fact]
    public async Task The_better_domain_earns_the_weight_and_the_weights_are_published()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var probe = await broker.ListenAsync("domainplatform.routing-weights-updated");
        var good = ExperimentsApiTests.NewDomain();
        var poor = ExperimentsApiTests.NewDomain();
        for (var i = 0; i < 30; i++)
        {
            var a = IngestionTests.Inference(good, "stable", "1", 200);
            var b = IngestionTests.Inference(poor, "stable", "1", 200);
            await broker.PublishAsync(a);
            await broker.PublishAsync(b);
            await broker.PublishAsync(new FeedbackReceived(a.RequestId, null, null, null, i % 10 != 0, null));
            await broker.PublishAsync(new FeedbackReceived(b.RequestId, null, null, null, i % 2 == 0, null));
        }

        var views = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>("/api/routing", ct),
            v => v.EnumerateArray().Count(d => d.GetProperty("judged").GetInt64() == 30) == 2, "all feedback counted");
        var byDomain = views.EnumerateArray().ToDictionary(d => d.GetProperty("domain").GetString()!);
        Assert.Equal(0.9, byDomain[good].GetProperty("averageAccuracy").GetDouble(), 9);
        Assert.Equal(0.5, byDomain[poor].GetProperty("averageAccuracy").GetDouble(), 9);
        Assert.Equal(200, byDomain[good].GetProperty("averageLatencyMs").GetDouble(), 9);
        Assert.Equal(30, byDomain[good].GetProperty("decisions").GetInt64());
        Assert.True(byDomain[good].GetProperty("confidence").GetDouble() > 0.9);

        var seen = new List<JsonElement>();
        await Eventually.GetAsync(async () => { seen.AddRange(await broker.TakeAsync(probe)); return seen; },
            m => m.Any(e => e.GetProperty("weights").TryGetProperty(good, out _) && e.GetProperty("weights").TryGetProperty(poor, out _)),
            "RoutingWeightsUpdated with both domains");
        var weights = seen.Last(e => e.GetProperty("weights").TryGetProperty(good, out _)).GetProperty("weights");
        Assert.True(weights.GetProperty(good).GetDouble() > weights.GetProperty(poor).GetDouble());
    }

    [Fact]
    public async Task Unknown_domain_is_a_404_problem()
    {
        var response = await factory.CreateClient().GetAsync("/api/routing/nobody", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class RoutingOptimizerTests
{
    [Theory]
    [InlineData(0.9, 1000.0, 0.05, 0.85)]
    [InlineData(0.9, null, 0.05, 0.9)]
    [InlineData(0.1, 5000.0, 0.05, 0.0)]
    [InlineData(1.0, 0.0, 0.05, 1.0)]
    public void Reward_is_accuracy_minus_a_latency_penalty_within_0_and_1(double score, double? latency, double penalty, double expected) =>
        Assert.Equal(expected, RoutingOptimizer.Reward(score, latency, penalty), 12);

    [Fact]
    public void Thompson_weights_favour_the_domain_with_the_better_reward_and_sum_to_one()
    {
        RoutingStats[] domains =
        [
            new() { Domain = "a", RewardCount = 200, RewardSum = 180 },
            new() { Domain = "b", RewardCount = 200, RewardSum = 100 },
            new() { Domain = "c", RewardCount = 2, RewardSum = 1 },
        ];
        var weights = RoutingOptimizer.Weights(domains, 10_000, new Random(7));
        Assert.Equal(1.0, weights.Values.Sum(), 12);
        Assert.True(weights["a"] > 0.8);
        Assert.True(weights["b"] < 0.01);
        // An arm with little evidence keeps some weight: exploration.
        Assert.True(weights["c"] > 0.01);
    }

    [Fact]
    public void Equal_evidence_splits_evenly_within_sampling_error()
    {
        RoutingStats[] domains = [new() { Domain = "a", RewardCount = 50, RewardSum = 25 }, new() { Domain = "b", RewardCount = 50, RewardSum = 25 }];
        var weights = RoutingOptimizer.Weights(domains, 20_000, new Random(11));
        // Binomial standard error at 20,000 draws is 0.0035: five of them.
        Assert.InRange(weights["a"], 0.5 - 0.018, 0.5 + 0.018);
        Assert.Empty(RoutingOptimizer.Weights([], 10, new Random(1)));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.True(new RoutingOptions().IsValid());
        Assert.False(new RoutingOptions { PublishIntervalSeconds = 0 }.IsValid());
        Assert.False(new RoutingOptions { Draws = 5 }.IsValid());
    }
}
