using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.TestSupport;
using Grpc.Core;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Rollout settings and their sources, the canary's weight set by hand, undeploying, and step estimates: through the HTTP API.</summary>
public sealed class RolloutControlTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private async Task<(HttpClient Client, string Domain)> DomainWithStableAsync(object? extra = null)
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client, extra);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        return (client, domain);
    }

    /// <summary>The controller keeps every rollout of these tests where the test put it.</summary>
    private void HoldEverything() => factory.Remotes.Verdict = _ => FakeRemotes.Reply("hold", 0);

    private static async Task<JsonElement> PostAsync(HttpClient client, string url, object body, HttpStatusCode expected, string actor = "ops-alice")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Actor", actor);
        var response = await client.SendAsync(request, Ct);
        Assert.True(expected == response.StatusCode, $"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static async Task<JsonElement> StartAsync(HttpClient client, object body) => await PostAsync(client, "/api/rollouts", body, HttpStatusCode.Created);

    private static double[] Steps(JsonElement rollout) => rollout.GetProperty("steps").EnumerateArray().Select(s => s.GetDouble()).ToArray();

    private static async Task<JsonElement> RouteAsync(HttpClient client, string domain) =>
        (await GetJsonAsync(client, "/api/deployments/route-table")).GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == domain);

    [Fact]
    public async Task A_rollouts_own_settings_override_the_domains_defaults_and_its_minSamples_reaches_the_analysis()
    {
        HoldEverything();
        var (client, domain) = await DomainWithStableAsync(new { rollback = new { minSamples = 50 }, rollout = new { steps = new[] { 5.0, 25, 100 }, minStepSeconds = 0, minSamples = 20 } });
        Assert.Equal(20, (await GetJsonAsync(client, $"/api/domains/{domain}")).GetProperty("config").GetProperty("rollout").GetProperty("minSamples").GetInt64());

        var own = await StartAsync(client, new { domain, version = "1.1.0", minSamples = 7 });
        Assert.Equal([5.0, 25, 100], Steps(own));
        Assert.Equal((7L, 0.0), (own.GetProperty("minSamples").GetInt64(), own.GetProperty("minStepSeconds").GetDouble()));
        Assert.Equal("started: steps 5, 25, 100 (domain), minStepSeconds 0 (domain), minSamples 7 (rollout)", own.GetProperty("lastReason").GetString());
        var analyzed = await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.AnalyzeCalls.Where(r => r.Domain == domain).ToList()), c => c.Count > 0, "an analysis of the rollout");
        Assert.Equal(7, analyzed[0].Thresholds.MinSamples);
        await PostAsync(client, $"/api/rollouts/{own.GetProperty("id").GetGuid()}/abort", new { reason = "next case" }, HttpStatusCode.OK);

        // Without a rollout or domain minSamples the domain's rollback.minSamples applies, to the step and the analysis alike.
        var (plainClient, plain) = await DomainWithStableAsync(new { rollback = new { minSamples = 12 } });
        var defaults = await StartAsync(plainClient, new { domain = plain, version = "1.1.0", minStepSeconds = 0 });
        Assert.Equal([1.0, 10, 50, 100], Steps(defaults));
        Assert.Equal(12, defaults.GetProperty("minSamples").GetInt64());
        var plainAnalyzed = await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.AnalyzeCalls.Where(r => r.Domain == plain).ToList()), c => c.Count > 0, "an analysis");
        Assert.Equal(12, plainAnalyzed[0].Thresholds.MinSamples);
    }

    [Fact]
    public async Task Bad_rollout_settings_are_refused_naming_the_field_and_where_it_came_from()
    {
        HoldEverything();
        var (client, domain) = await DomainWithStableAsync();

        var badDefaults = await client.PatchAsJsonAsync($"/api/domains/{domain}", new { rollout = new { steps = new[] { 50.0, 10, 100 } } }, Ct);
        await AssertProblemAsync(badDefaults, HttpStatusCode.BadRequest, "rollout.steps");
        var badIncrease = await client.PatchAsJsonAsync($"/api/domains/{domain}", new { rollback = new { maxErrorRateIncrease = 1.5 } }, Ct);
        await AssertProblemAsync(badIncrease, HttpStatusCode.BadRequest, "rollback.maxErrorRateIncrease");

        var tooFew = await client.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.1.0", minSamples = 1 }, Ct);
        await AssertProblemAsync(tooFew, HttpStatusCode.BadRequest, "minSamples");
        var badFirst = await client.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.1.0", firstWeight = 100 }, Ct);
        await AssertProblemAsync(badFirst, HttpStatusCode.BadRequest, "firstWeight");
        Assert.Equal(0, (await GetJsonAsync(client, $"/api/rollouts?domain={domain}")).GetArrayLength());

        var patched = await client.PatchAsJsonAsync($"/api/domains/{domain}", new { rollback = new { maxErrorRateIncrease = 0.05, maxErrorRate = 0.3 } }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await StartRolloutAsync(client, domain, "1.1.0");
        var thresholds = (await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.AnalyzeCalls.Where(r => r.Domain == domain).ToList()), c => c.Count > 0, "an analysis"))[0].Thresholds;
        Assert.Equal((0.05, 0.3), (thresholds.MaxErrorRateIncrease, thresholds.MaxErrorRate));
    }

    [Fact]
    public async Task An_operator_sets_the_canary_weight_which_moves_traffic_now_and_starts_a_new_analysis_phase()
    {
        HoldEverything();
        var (client, domain) = await DomainWithStableAsync();
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        var started = await GetJsonAsync(client, $"/api/rollouts/{id}");

        var set = await PostAsync(client, $"/api/rollouts/{id}/weight", new { weight = 30, reason = "real-time traffic adjustment" }, HttpStatusCode.OK);

        Assert.Equal((30.0, 30.0, 1), (set.GetProperty("weightPercent").GetDouble(), set.GetProperty("manualWeight").GetDouble(), set.GetProperty("stepIndex").GetInt32()));
        Assert.True(set.GetProperty("stepStartedAt").GetDateTime() > started.GetProperty("stepStartedAt").GetDateTime());
        var variants = (await RouteAsync(client, domain)).GetProperty("variants").EnumerateArray().Select(v => (v.GetProperty("name").GetString(), v.GetProperty("weightPercent").GetDouble()));
        Assert.Equal([("stable", 70.0), ("canary", 30.0)], variants);
        Assert.Equal(30, (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("canaryWeight").GetDouble());

        // The analysis from now on counts only outcomes at the new split.
        var phase = new DateTimeOffset(DateTime.SpecifyKind(set.GetProperty("stepStartedAt").GetDateTime(), DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.AnalyzeCalls.Any(r => r.Domain == domain && r.PhaseStartedAtUnixMs >= phase)), x => x, "an analysis of the new phase");

        var audit = await GetJsonAsync(client, $"/api/audit?entityType=rollout&entityId={id}&action=setweight");
        var entry = Assert.Single(audit.EnumerateArray());
        Assert.Equal(("ops-alice", "weight set from 1% to 30%: real-time traffic adjustment"), (entry.GetProperty("actor").GetString(), entry.GetProperty("reason").GetString()));
        var moved = Assert.Single((await GetJsonAsync(client, $"/api/audit?entityType=deployment&entityId={domain}&action=setweight")).EnumerateArray());
        Assert.Equal((1.0, 30.0), (moved.GetProperty("before").GetProperty("canaryWeight").GetDouble(), moved.GetProperty("after").GetProperty("canaryWeight").GetDouble()));

        // The next step is the first planned one above the weight.
        var promoted = await PostAsync(client, $"/api/rollouts/{id}/promote", new { reason = "go on" }, HttpStatusCode.OK);
        Assert.Equal((50.0, 2, JsonValueKind.Null), (promoted.GetProperty("weightPercent").GetDouble(), promoted.GetProperty("stepIndex").GetInt32(), promoted.GetProperty("manualWeight").ValueKind));
    }

    [Fact]
    public async Task Weights_that_cannot_be_set_are_refused_and_change_nothing()
    {
        HoldEverything();
        var (client, domain) = await DomainWithStableAsync();
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        foreach (var body in new object[] { new { weight = 150 }, new { weight = 0 }, new { reason = "no weight" } })
        {
            var response = await client.PostAsJsonAsync($"/api/rollouts/{id}/weight", body, Ct);
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "weight");
        }
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/weight", new { weight = 1 }, Ct), HttpStatusCode.Conflict, "already takes 1%");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{Guid.NewGuid()}/weight", new { weight = 20 }, Ct), HttpStatusCode.NotFound, "No rollout");
        Assert.Equal(1, (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("canaryWeight").GetDouble());

        await PostAsync(client, $"/api/rollouts/{id}/abort", new { reason = "done" }, HttpStatusCode.OK);
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/weight", new { weight = 20 }, Ct), HttpStatusCode.Conflict, "aborted");
    }

    [Fact]
    public async Task Undeploying_stops_serving_the_model_without_archiving_the_domain()
    {
        HoldEverything();
        var (client, domain) = await DomainWithStableAsync();

        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/deployments/{domain}/undeploy", new { }, Ct), HttpStatusCode.BadRequest, "reason");
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/deployments/{domain}/undeploy", new { reason = "x" }, Ct), HttpStatusCode.Conflict, "abort it first");
        await PostAsync(client, $"/api/rollouts/{id}/abort", new { reason = "undeploy next" }, HttpStatusCode.OK);

        var undeployed = await PostAsync(client, $"/api/deployments/{domain}/undeploy", new { reason = "model retired for the audit" }, HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, undeployed.GetProperty("stableVersion").ValueKind);
        Assert.Empty((await RouteAsync(client, domain)).GetProperty("variants").EnumerateArray());
        Assert.Equal("active", (await GetJsonAsync(client, $"/api/domains/{domain}")).GetProperty("status").GetString());
        Assert.Empty((await GetJsonAsync(client, $"/api/models/{domain}/versions/1.0.0")).GetProperty("aliases").EnumerateArray());
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.Contains($"{domain}@1.0.0")), x => x, "the stable version to be unloaded");
        var entry = Assert.Single((await GetJsonAsync(client, $"/api/audit?entityType=deployment&entityId={domain}&action=undeploy")).EnumerateArray());
        Assert.Equal(("ops-alice", "model retired for the audit", "1.0.0"),
            (entry.GetProperty("actor").GetString(), entry.GetProperty("reason").GetString(), entry.GetProperty("before").GetProperty("stableVersion").GetString()));
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/deployments/{domain}/undeploy", new { reason = "again" }, Ct), HttpStatusCode.Conflict, "serves no model");
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.1.0" }, Ct), HttpStatusCode.Conflict, "deploy one first");

        // Deploying again serves the domain again.
        await DeployStableAsync(client, domain, "1.1.0");
        Assert.Equal("1.1.0", Assert.Single((await RouteAsync(client, domain)).GetProperty("variants").EnumerateArray()).GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task Each_step_carries_an_estimate_from_the_domains_recent_traffic_with_a_warning_over_an_hour()
    {
        HoldEverything();
        var (client, domain) = await DomainWithStableAsync();
        // 0.1 served requests a second: 50 samples at 1% take about 14 hours.
        factory.Remotes.Traffic = r => r.Domain == domain
            ? new RecentTrafficReply { Requests = 95, Served = 90, WindowSeconds = 900 }
            : new RecentTrafficReply { Requests = 9000, Served = 9000, WindowSeconds = 900 };

        var slow = await StartAsync(client, new { domain, version = "1.1.0", minStepSeconds = 0, minSamples = 50 });

        Assert.Equal(50_000, slow.GetProperty("estimatedStepSeconds").GetDouble());
        Assert.StartsWith("50 samples a side at 1% of 0.1 served requests/s (90 in the last 900 s)", slow.GetProperty("estimateReason").GetString());
        Assert.Contains("a weight of 14% (firstWeight", slow.GetProperty("estimateWarning").GetString());
        Assert.Equal(900, factory.Remotes.TrafficCalls.Last(r => r.Domain == domain).WindowSeconds);
        var id = slow.GetProperty("id").GetGuid();
        var warned = Assert.Single((await GetJsonAsync(client, $"/api/audit?entityType=rollout&entityId={id}&action=slow-step")).EnumerateArray());
        Assert.Equal(slow.GetProperty("estimateWarning").GetString(), warned.GetProperty("reason").GetString());

        // Every step gets its own estimate.
        var promoted = await PostAsync(client, $"/api/rollouts/{id}/promote", new { reason = "faster" }, HttpStatusCode.OK);
        Assert.Equal(5000, promoted.GetProperty("estimatedStepSeconds").GetDouble());
        Assert.Contains("at 10% of", promoted.GetProperty("estimateReason").GetString());
        var set = await PostAsync(client, $"/api/rollouts/{id}/weight", new { weight = 20, reason = "faster still" }, HttpStatusCode.OK);
        Assert.Equal(2500, set.GetProperty("estimatedStepSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, set.GetProperty("estimateWarning").ValueKind);
        await PostAsync(client, $"/api/rollouts/{id}/abort", new { reason = "next case" }, HttpStatusCode.OK);

        // A larger first weight from the start: within the hour, no warning.
        var quick = await StartAsync(client, new { domain, version = "1.1.0", minStepSeconds = 0, minSamples = 50, firstWeight = 20 });
        Assert.Equal([20.0, 50, 100], Steps(quick));
        Assert.Equal((2500.0, JsonValueKind.Null), (quick.GetProperty("estimatedStepSeconds").GetDouble(), quick.GetProperty("estimateWarning").ValueKind));
        Assert.Empty((await GetJsonAsync(client, $"/api/audit?entityType=rollout&entityId={quick.GetProperty("id").GetGuid()}&action=slow-step")).EnumerateArray());
        await PostAsync(client, $"/api/rollouts/{quick.GetProperty("id").GetGuid()}/abort", new { reason = "next case" }, HttpStatusCode.OK);

        // No rate known: no estimate, and the reason says why; the rollout starts all the same.
        factory.Remotes.Traffic = r => r.Domain == domain ? throw new RpcException(new Status(StatusCode.Unavailable, "down")) : new RecentTrafficReply();
        var unknown = await StartAsync(client, new { domain, version = "1.1.0", minStepSeconds = 0 });
        Assert.Equal(JsonValueKind.Null, unknown.GetProperty("estimatedStepSeconds").ValueKind);
        Assert.Equal("no request rate known for the domain: experimentation did not tell the domain's recent traffic (Unavailable)", unknown.GetProperty("estimateReason").GetString());
        Assert.Equal("running", unknown.GetProperty("status").GetString());
    }
}
