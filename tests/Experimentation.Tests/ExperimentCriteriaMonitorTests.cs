using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>The monitor applies each running experiment's failure criteria and planned duration (a look every second).</summary>
public sealed class ExperimentCriteriaMonitorTests(MonitoringFactory factory) : IClassFixture<MonitoringFactory>
{
    private static object Arms(string treatment) => new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = treatment, modelVersion = "1.1.0" } };

    [Fact]
    public async Task A_treatment_failing_its_last_requests_in_a_row_is_rolled_back_by_its_consecutive_errors()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "streak", domain, primaryMetric = "latency_ms", minSamples = 20, failureCriteria = new { maxConsecutiveErrors = 5 }, variants = Arms("flaky"),
        }, ct)).GetProperty("id").GetString();
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        // Errors now and then, never four in a row: no failure. Then five in a row: an arm that stopped working.
        for (var i = 0; i < 30; i++)
        {
            await broker.PublishAsync(IngestionTests.Inference(domain, "control", "1.0.0", 100));
            await broker.PublishAsync(IngestionTests.Inference(domain, "flaky", "1.1.0", 100, ok: i % 4 != 0));
        }
        var meanwhile = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct);
        Assert.Equal("running", meanwhile.GetProperty("status").GetString());
        for (var i = 0; i < 5; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "flaky", "1.1.0", 100, ok: false));

        var rolledBack = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct),
            e => e.GetProperty("status").GetString() == "rolled_back", "the monitor to roll the experiment back");
        Assert.StartsWith("failure criterion failureCriteria.maxConsecutiveErrors: flaky failed its last ", rolledBack.GetProperty("reason").GetString());
        Assert.Equal(5, rolledBack.GetProperty("failureCriteria").GetProperty("maxConsecutiveErrors").GetInt32());
    }

    [Fact]
    public async Task A_treatment_beyond_its_failure_criteria_is_rolled_back_with_the_reason()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "failing", domain, primaryMetric = "latency_ms", minSamples = 20, failureCriteria = new { maxErrorRate = 0.2 }, variants = Arms("risky"),
        }, ct)).GetProperty("id").GetString();
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        for (var i = 0; i < 40; i++)
        {
            await broker.PublishAsync(IngestionTests.Inference(domain, "control", "1.0.0", 100 + i % 9));
            await broker.PublishAsync(IngestionTests.Inference(domain, "risky", "1.1.0", 100 + i % 9, ok: i % 2 == 0));
        }

        var rolledBack = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct),
            e => e.GetProperty("status").GetString() == "rolled_back", "the monitor to roll the experiment back");
        Assert.Equal("rolled-back", rolledBack.GetProperty("outcome").GetString());
        Assert.StartsWith("failure criterion failureCriteria.maxErrorRate: risky failed ", rolledBack.GetProperty("reason").GetString());
        Assert.Equal([100.0, 0.0], rolledBack.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("weight").GetDouble()));
        Assert.Equal(0.2, rolledBack.GetProperty("failureCriteria").GetProperty("maxErrorRate").GetDouble());
        var alerts = await client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}&level=CRITICAL", ct);
        Assert.Contains(alerts.EnumerateArray(), a => a.GetProperty("experimentId").GetString() == id && a.GetProperty("metric").GetString() == "failure-criteria");
    }

    [Fact]
    public async Task At_its_planned_duration_an_experiment_concludes_by_itself_promoting_only_a_winner_that_meets_its_success_criteria()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var promoted = ExperimentsApiTests.NewDomain();
        var modest = ExperimentsApiTests.NewDomain();
        // The outcomes arrive in a second or two; the planned duration leaves them far more.
        async Task<string> CreateAsync(string domain, double minImprovement) => (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "planned", domain, primaryMetric = "latency_ms", minSamples = 20, minimumDetectableEffect = 0.2, deployWinner = true,
            plannedDurationSeconds = 20, successCriteria = new { minImprovement }, variants = Arms("fast"),
        }, ct)).GetProperty("id").GetString()!;
        var winnerId = await CreateAsync(promoted, 0.3);
        var modestId = await CreateAsync(modest, 0.9);
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var probe = await broker.ListenAsync("domainplatform.experiment-concluded");
        await client.PostAsync($"/api/experiments/{winnerId}/start", null, ct);
        await client.PostAsync($"/api/experiments/{modestId}/start", null, ct);

        foreach (var domain in new[] { promoted, modest })
        {
            for (var i = 0; i < 40; i++)
            {
                await broker.PublishAsync(IngestionTests.Inference(domain, "control", "1.0.0", 200 + i % 9));
                await broker.PublishAsync(IngestionTests.Inference(domain, "fast", "1.1.0", 100 + i % 9));
            }
        }
        Assert.Equal("running", (await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{winnerId}", ct)).GetProperty("status").GetString());

        var won = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{winnerId}", ct),
            e => e.GetProperty("status").GetString() == "concluded", "the experiment to conclude at its planned duration");
        Assert.Equal(("winner", "fast"), (won.GetProperty("outcome").GetString(), won.GetProperty("winnerVariant").GetString()));
        Assert.StartsWith("planned duration of 20 s reached", won.GetProperty("reason").GetString());
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{winnerId}/history", ct);
        Assert.Contains(history.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "concluded"
            && e.GetProperty("detail").GetString()!.StartsWith("concluded by itself", StringComparison.Ordinal));

        // Deployment hears of it, with the winner to deploy as the experiment asked.
        var seen = new List<JsonElement>();
        await Eventually.GetAsync(async () => { seen.AddRange(await broker.TakeAsync(probe)); return seen; },
            m => m.Any(e => e.GetProperty("experimentId").GetString() == winnerId), "ExperimentConcluded for the experiment");
        var concluded = seen.First(e => e.GetProperty("experimentId").GetString() == winnerId);
        Assert.Equal(("winner", "1.1.0", true), (concluded.GetProperty("outcome").GetString(), concluded.GetProperty("winnerModelVersion").GetString(),
            concluded.GetProperty("deployWinner").GetBoolean()));

        // Twice as fast is a 50% improvement: short of the 90% this experiment asks for, so nothing is promoted.
        var notMet = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{modestId}", ct),
            e => e.GetProperty("status").GetString() == "concluded", "the second experiment to conclude");
        Assert.Equal("criteria-not-met", notMet.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, notMet.GetProperty("winnerVariant").ValueKind);
        Assert.Contains("fast won but its improvement", notMet.GetProperty("reason").GetString());
        Assert.Contains("successCriteria.minImprovement", notMet.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Concluding_by_hand_refuses_a_winner_that_misses_the_success_criteria_unless_forced_and_then_promotes_none()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "by hand", domain, primaryMetric = "latency_ms", minSamples = 20, minimumDetectableEffect = 0.2, deployWinner = true,
            successCriteria = new { minImprovement = 0.9 }, variants = Arms("fast"),
        }, ct)).GetProperty("id").GetString();
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        for (var i = 0; i < 40; i++)
        {
            await broker.PublishAsync(IngestionTests.Inference(domain, "control", "1.0.0", 200 + i % 9));
            await broker.PublishAsync(IngestionTests.Inference(domain, "fast", "1.1.0", 100 + i % 9));
        }
        await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/analysis", ct),
            a => a.GetProperty("outcome").GetString() == "winner", "the statistics to find the winner");

        var refused = await client.PostAsJsonAsync($"/api/experiments/{id}/conclude", new { }, ct);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("success criteria are not met", await refused.Content.ReadAsStringAsync(ct));

        var forced = await client.PostAsJsonAsync($"/api/experiments/{id}/conclude", new { force = true }, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, forced.StatusCode);
        var concluded = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct);
        Assert.Equal(("concluded", "criteria-not-met", JsonValueKind.Null),
            (concluded.GetProperty("status").GetString(), concluded.GetProperty("outcome").GetString(), concluded.GetProperty("winnerVariant").ValueKind));
    }
}
