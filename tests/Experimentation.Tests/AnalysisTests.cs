using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

public sealed class AnalysisTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    [Fact]
    public async Task An_abn_experiment_fed_through_the_broker_names_the_winner_and_concludes_with_it()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "abn", domain, primaryMetric = "error_rate", minimumDetectableEffect = 1.0, minSamples = 100, deployWinner = true,
            variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "b", modelVersion = "1.1.0" }, new { name = "c", modelVersion = "1.2.0" } },
        }, ct)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{id}/start", null, ct)).StatusCode);

        var early = await client.PostAsJsonAsync($"/api/experiments/{id}/conclude", new { }, ct);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("confidence", await early.Content.ReadAsStringAsync(ct));

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var concluded = await broker.ListenAsync("domainplatform.experiment-concluded");
        const int perVariant = 300;
        foreach (var (variant, version, errors) in new[] { ("control", "1.0.0", 60), ("b", "1.1.0", 57), ("c", "1.2.0", 15) })
        {
            for (var i = 0; i < perVariant; i++)
            {
                await broker.PublishAsync(IngestionTests.Inference(domain, variant, version, 100 + i % 7, ok: i >= errors));
            }
        }

        var analysis = await Eventually.GetAsync(
            () => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/analysis", ct),
            a => a.GetProperty("variants").EnumerateArray().All(v => v.GetProperty("assigned").GetInt64() == perVariant), "all outcomes counted");
        Assert.Equal("winner", analysis.GetProperty("outcome").GetString());
        Assert.Equal("c", analysis.GetProperty("winner").GetString());
        Assert.Equal("1.2.0", analysis.GetProperty("winnerModelVersion").GetString());
        Assert.False(analysis.GetProperty("sampleRatio").GetProperty("isMismatch").GetBoolean());
        var comparisons = analysis.GetProperty("comparisons").EnumerateArray().ToDictionary(c => c.GetProperty("variant").GetString()!);
        Assert.True(comparisons["c"].GetProperty("significant").GetBoolean());
        Assert.False(comparisons["b"].GetProperty("significant").GetBoolean());
        Assert.True(comparisons["c"].GetProperty("adjustedPValue").GetDouble() >= comparisons["c"].GetProperty("pValue").GetDouble());
        Assert.Contains("'c'", analysis.GetProperty("reason").GetString());
        // Each variant's posterior of its error rate, to draw: Beta(1 + errors, 1 + served) under the uniform prior.
        var posteriors = analysis.GetProperty("posteriors").EnumerateArray().ToDictionary(p => p.GetProperty("variant").GetString()!, p => p.GetProperty("curve"));
        Assert.Equal([("control", 61.0, 241.0), ("b", 58.0, 244.0), ("c", 16.0, 286.0)], new[] { "control", "b", "c" }.Select(v =>
            (v, posteriors[v].GetProperty("alpha").GetDouble(), posteriors[v].GetProperty("beta").GetDouble())));
        Assert.Equal("beta", posteriors["c"].GetProperty("family").GetString());
        Assert.Equal(101, posteriors["c"].GetProperty("density").GetArrayLength());

        var conclusion = await client.PostAsJsonAsync($"/api/experiments/{id}/conclude", new { }, ct);
        Assert.Equal(HttpStatusCode.OK, conclusion.StatusCode);
        var view = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct);
        Assert.Equal(("concluded", "winner", "c"), (view.GetProperty("status").GetString(), view.GetProperty("outcome").GetString(), view.GetProperty("winnerVariant").GetString()));

        // Other tests of this class conclude experiments too: look for this one's event.
        var seen = new List<JsonElement>();
        await Eventually.GetAsync(async () => { seen.AddRange(await broker.TakeAsync(concluded)); return seen; },
            m => m.Any(e => e.GetProperty("experimentId").GetString() == id), "ExperimentConcluded to be published");
        var evt = Assert.Single(seen, e => e.GetProperty("experimentId").GetString() == id);
        Assert.Equal(("winner", "c", "1.2.0", true), (evt.GetProperty("outcome").GetString(), evt.GetProperty("winnerVariant").GetString(),
            evt.GetProperty("winnerModelVersion").GetString(), evt.GetProperty("deployWinner").GetBoolean()));
    }

    [Fact]
    public async Task After_a_weight_change_the_analysis_reads_the_new_phase_and_pools_the_primary_metric_over_both()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "ramp", domain, primaryMetric = "latency_ms", minSamples = 20,
            variants = new[] { new { name = "control", modelVersion = "1.0.0", weight = 90.0 }, new { name = "b", modelVersion = "1.1.0", weight = 10.0 } },
        }, ct)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{id}/start", null, ct)).StatusCode);

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        async Task FeedAsync(int control, int b, double controlLatency, double bLatency)
        {
            for (var i = 0; i < control; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "control", "1.0.0", controlLatency + i % 5));
            for (var i = 0; i < b; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "b", "1.1.0", bLatency + i % 5));
        }
        await FeedAsync(90, 10, 200, 150);
        await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/analysis", ct),
            a => a.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("assigned").GetInt64()) == 100, "phase 1 counted");
        var phase1 = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/analysis", ct);
        Assert.Empty(phase1.GetProperty("pooledAcrossPhases").EnumerateArray());

        var reweighted = await client.PutAsJsonAsync($"/api/experiments/{id}/weights", new { weights = new Dictionary<string, double> { ["control"] = 50, ["b"] = 50 } }, ct);
        Assert.Equal(HttpStatusCode.OK, reweighted.StatusCode);
        await FeedAsync(50, 50, 400, 350);

        var analysis = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/analysis", ct),
            a => a.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("assigned").GetInt64()) == 100, "phase 2 counted");
        Assert.Equal(2, analysis.GetProperty("phase").GetInt32());
        Assert.Equal([50L, 50L], analysis.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("assigned").GetInt64()));
        // Latency rose by 200 ms between phases while b's share rose; pooled by phase, b is still 50 ms faster.
        var pooled = Assert.Single(analysis.GetProperty("pooledAcrossPhases").EnumerateArray());
        Assert.Equal(("b", "latency_ms", 2), (pooled.GetProperty("variant").GetString(), pooled.GetProperty("metric").GetString(), pooled.GetProperty("phases").GetInt32()));
        Assert.Equal(-50, pooled.GetProperty("difference").GetDouble(), 6);
        Assert.True(pooled.GetProperty("pValue").GetDouble() < 0.001);
    }

    [Fact]
    public async Task Forced_conclusion_without_confidence_names_no_winner()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "forced", domain = ExperimentsApiTests.NewDomain(),
            variants = new[] { new { name = "control", modelVersion = "1" }, new { name = "t", modelVersion = "2" } },
        }, ct)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Conflict, (await client.GetAsync($"/api/experiments/{id}/analysis", ct)).StatusCode);
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);
        var analysis = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/analysis", ct);
        Assert.Equal("continue", analysis.GetProperty("outcome").GetString());

        var forced = await client.PostAsJsonAsync($"/api/experiments/{id}/conclude", new { force = true, reason = "out of time" }, ct);
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        var view = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct);
        Assert.Equal("inconclusive", view.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("winnerVariant").ValueKind);
    }
}
