using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.TestSupport;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>The watch after a promotion, through the HTTP API: a degraded new stable is rolled back, a healthy one is not.</summary>
public sealed class PostPromotionWatchTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private async Task<(HttpClient Client, string Domain)> DomainWithStableAsync(double watchSeconds = 3600)
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client, new { rollback = new { minSamples = 10, watchSeconds, watchBaselineSeconds = 600 } });
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        return (client, domain);
    }

    private static Task<JsonElement> WaitForDeploymentAsync(HttpClient client, string domain, Func<JsonElement, bool> done, string what) =>
        Eventually.GetAsync(() => GetJsonAsync(client, $"/api/deployments/{domain}"), done, what);

    private static string? WatchStatus(JsonElement deployment) =>
        deployment.GetProperty("watch").ValueKind == JsonValueKind.Object ? deployment.GetProperty("watch").GetProperty("status").GetString() : null;

    private static AnalyzeReply Degraded(string reason)
    {
        var reply = new AnalyzeReply { Verdict = "rollback", Reason = reason };
        reply.Metrics.Add(new MetricComparison { Metric = "latency", Baseline = 100, Candidate = 300, BaselineSamples = 400, CandidateSamples = 200, Breached = true, LimitName = "maxLatencyRatio", Limit = 1.5 });
        return reply;
    }

    [Fact]
    public async Task A_new_stable_that_degrades_after_its_rollout_is_rolled_back_to_the_previous_one_with_the_reason()
    {
        var (client, domain) = await DomainWithStableAsync();
        var rollbacks = await EventTap.BindAsync(factory.VirtualHost.Name, "domainplatform.rollback-performed");
        factory.Remotes.Verdict = r => FakeRemotes.Reply(r.Domain == domain ? "continue" : "hold", 500);
        var degrade = false;
        factory.Remotes.WatchVerdict = r => r.Domain == domain && Volatile.Read(ref degrade)
            ? Degraded("latency 300.0 vs 100.0 (x3.00) is above x1.5 (p = 0.0001)")
            : FakeRemotes.Reply("hold", 0, "not enough samples yet");
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        await WaitForRolloutAsync(client, id, r => r.GetProperty("status").GetString() == "succeeded", "the rollout to complete");

        var watching = await WaitForDeploymentAsync(client, domain, d => d.GetProperty("watch").GetProperty("lastVerdict").ValueKind == JsonValueKind.String, "a first check");
        var watch = watching.GetProperty("watch");
        Assert.Equal(("1.1.0", "1.1.0", "1.0.0", "watching"), (watching.GetProperty("stableVersion").GetString(), watch.GetProperty("version").GetString(),
            watch.GetProperty("previousVersion").GetString(), watch.GetProperty("status").GetString()));
        // The new stable since the switch, against the previous one over the domain's baseline window before it.
        var call = factory.Remotes.WatchCalls.Last(c => c.Domain == domain);
        Assert.Equal(("1.0.0", "1.1.0", 10), (call.BaselineVersion, call.CandidateVersion, call.Thresholds.MinSamples));
        Assert.Equal(call.PhaseStartedAtUnixMs, call.BaselineUntilUnixMs);
        Assert.Equal(600_000, call.BaselineUntilUnixMs - call.BaselineFromUnixMs);
        Assert.Equal(watch.GetProperty("startedAt").GetDateTime().AddHours(1), watch.GetProperty("until").GetDateTime());

        Volatile.Write(ref degrade, true);
        var rolledBack = await WaitForDeploymentAsync(client, domain, d => d.GetProperty("stableVersion").GetString() == "1.0.0", "the rollback to 1.0.0");
        var after = rolledBack.GetProperty("watch");
        Assert.Equal(("rolled_back", "automatic", "rollback"), (after.GetProperty("status").GetString(), after.GetProperty("rollbackType").GetString(), after.GetProperty("lastVerdict").GetString()));
        Assert.Equal("post-promotion watch of 1.1.0: latency 300.0 vs 100.0 (x3.00) is above x1.5 (p = 0.0001)", after.GetProperty("lastReason").GetString());
        Assert.Equal(3.0, after.GetProperty("figures")[0].GetProperty("candidate").GetDouble() / after.GetProperty("figures")[0].GetProperty("baseline").GetDouble());
        var last = rolledBack.GetProperty("lastRollback");
        Assert.Equal(("automatic", "1.1.0", "1.0.0"), (last.GetProperty("type").GetString(), last.GetProperty("fromVersion").GetString(), last.GetProperty("toVersion").GetString()));
        // Inference loaded the previous stable again before its traffic came back.
        Assert.Equal(2, factory.Remotes.Loaded.Count(m => m == $"{domain}@1.0.0"));

        var published = await Eventually.GetAsync(async () => (await rollbacks.TakeAsync()).Where(r => r.GetProperty("domain").GetString() == domain).ToList(),
            l => l.Count > 0, "RollbackPerformed");
        var evt = Assert.Single(published);
        Assert.Equal(("1.1.0", "1.0.0", "automatic"), (evt.GetProperty("fromVersion").GetString(), evt.GetProperty("toVersion").GetString(), evt.GetProperty("type").GetString()));
        Assert.Equal(JsonValueKind.Null, evt.GetProperty("rolloutId").ValueKind);
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=watch&entityId={domain}");
        Assert.Equal(["rollback", "start"], audit.EnumerateArray().Select(a => a.GetProperty("action").GetString()));
        Assert.Equal(after.GetProperty("lastReason").GetString(), audit[0].GetProperty("reason").GetString());
        Assert.Equal("rollback", (await GetJsonAsync(client, $"/api/audit?entityType=deployment&entityId={domain}"))[0].GetProperty("action").GetString());
    }

    [Fact]
    public async Task A_healthy_new_stable_is_not_rolled_back_and_its_watch_passes_at_the_end_of_the_window()
    {
        var (client, domain) = await DomainWithStableAsync(watchSeconds: 1);
        factory.Remotes.WatchVerdict = r => FakeRemotes.Reply(r.Domain == domain ? "continue" : "hold", r.Domain == domain ? 300 : 0, "all metrics within thresholds");
        // A direct deployment is a promotion too.
        await DeployStableAsync(client, domain, "1.1.0");

        var passed = await WaitForDeploymentAsync(client, domain, d => WatchStatus(d) != "watching", "the end of the watch");
        Assert.Equal(("passed", "1.1.0"), (WatchStatus(passed), passed.GetProperty("stableVersion").GetString()));
        Assert.Equal("passed: 1.1.0 held up against 1.0.0 for the whole watch (continue: all metrics within thresholds)",
            passed.GetProperty("watch").GetProperty("lastReason").GetString());
        Assert.Equal(JsonValueKind.Null, passed.GetProperty("lastRollback").ValueKind);
        Assert.Empty((await GetJsonAsync(client, $"/api/deployments/{domain}/rollbacks")).EnumerateArray());
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=watch&entityId={domain}");
        Assert.Equal(["pass", "start"], audit.EnumerateArray().Select(a => a.GetProperty("action").GetString()));
        Assert.Contains("after a direct deployment", audit[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Critical_figures_after_a_promotion_roll_back_as_an_emergency_even_on_a_hold()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.WatchVerdict = r =>
        {
            if (r.Domain != domain) return FakeRemotes.Reply("hold", 0);
            var reply = new AnalyzeReply { Verdict = "hold", Reason = "p = 0.08, not yet significant" };
            reply.Metrics.Add(new MetricComparison { Metric = "error_rate", Baseline = 0.01, Candidate = 0.3, BaselineSamples = 400, CandidateSamples = 20, LimitName = "maxErrorRateIncrease", Limit = 0.02 });
            return reply;
        };
        await DeployStableAsync(client, domain, "1.1.0");

        var rolledBack = await WaitForDeploymentAsync(client, domain, d => d.GetProperty("stableVersion").GetString() == "1.0.0", "the emergency rollback");
        Assert.Equal(("rolled_back", "emergency"), (WatchStatus(rolledBack), rolledBack.GetProperty("watch").GetProperty("rollbackType").GetString()));
        Assert.Equal("emergency after promotion of 1.1.0: critical error rate 30.0% above 10.0% (baseline 1.0%)", rolledBack.GetProperty("lastRollback").GetProperty("reason").GetString());
        Assert.Equal("emergency", (await GetJsonAsync(client, $"/api/deployments/{domain}/rollbacks"))[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Another_traffic_move_ends_the_watch_and_the_operators_rollback_is_manual()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.WatchVerdict = _ => FakeRemotes.Reply("hold", 0);
        await DeployStableAsync(client, domain, "1.1.0");
        Assert.Equal("watching", WatchStatus(await GetJsonAsync(client, $"/api/deployments/{domain}")));

        var response = await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.0.0", reason = "customer complaints" }, Ct);
        response.EnsureSuccessStatusCode();
        var back = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("ended", "ended: rolled back to 1.0.0"), (WatchStatus(back), back.GetProperty("watch").GetProperty("lastReason").GetString()));
        Assert.Equal(("manual", "customer complaints"), (back.GetProperty("lastRollback").GetProperty("type").GetString(), back.GetProperty("lastRollback").GetProperty("reason").GetString()));
    }
}
