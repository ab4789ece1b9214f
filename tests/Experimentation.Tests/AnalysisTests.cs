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
