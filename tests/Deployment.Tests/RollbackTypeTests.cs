using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.TestSupport;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Emergency, gradual, manual and scheduled rollbacks of a canary, and the AlertRaised consumer, through HTTP and RabbitMQ.</summary>
public sealed class RollbackTypeTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private const string AlertExchange = "domainplatform.alert-raised";

    private static object Alert(Guid alertId, string level, string domain, string version, string metric = "error_rate", double value = 0.07) => new
    {
        eventId = Guid.NewGuid(), occurredAt = DateTimeOffset.UtcNow, schemaVersion = 1,
        alertId, level, domain, experimentId = (Guid?)null, metric, value, threshold = 0.05,
        message = $"{domain} {version}: error rate {100 * value:0.0}% above the {level.ToLowerInvariant()} threshold", modelVersion = version,
    };

    private async Task PublishAsync(object body) =>
        await Eventually.GetAsync(async () =>
        {
            try { await EventTap.PublishAsync(factory.VirtualHost.Name, AlertExchange, body); return true; }
            catch (Xunit.Sdk.TrueException) { return false; }
        }, ok => ok, $"a queue bound to {AlertExchange}");

    /// <summary>A canary of 1.1.0 held by the analysis at <paramref name="weight"/>% (promoted by hand to get there).</summary>
    private async Task<(HttpClient Client, string Domain, Guid Rollout)> CanaryAtAsync(double weight)
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        var rollout = await GetJsonAsync(client, $"/api/rollouts/{id}");
        while (rollout.GetProperty("weightPercent").GetDouble() < weight)
        {
            var promoted = await client.PostAsJsonAsync($"/api/rollouts/{id}/promote", new { reason = "to the test's weight" }, Ct);
            rollout = await promoted.Content.ReadFromJsonAsync<JsonElement>(Ct);
        }
        return (client, domain, id);
    }

    private void HoldOthers(Func<AnalyzeRequest, AnalyzeReply>? mine = null, string? domain = null) =>
        factory.Remotes.Verdict = r => mine is not null && r.Domain == domain ? mine(r) : FakeRemotes.Reply("hold", 0);

    private static string Status(JsonElement rollout) => rollout.GetProperty("status").GetString()!;

    private static IReadOnlyList<(string?, double)> Moves(JsonElement rollout) =>
        rollout.GetProperty("decisions").EnumerateArray().Skip(1).Where(d => d.GetProperty("action").GetString() != "hold")
            .Select(d => (d.GetProperty("action").GetString(), d.GetProperty("toWeight").GetDouble())).ToList();

    [Fact]
    public async Task An_emergency_alert_about_the_canary_sends_all_its_traffic_back_at_once()
    {
        HoldOthers();
        var (client, domain, id) = await CanaryAtAsync(50);
        var rollbacks = await EventTap.BindAsync(factory.VirtualHost.Name, "domainplatform.rollback-performed");

        await PublishAsync(Alert(Guid.NewGuid(), "EMERGENCY", domain, "1.1.0", value: 0.4));
        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the emergency rollback");
        Assert.Equal("emergency", done.GetProperty("rollbackType").GetString());
        Assert.Equal(("rollback", 0.0), Moves(done)[^1]);
        Assert.StartsWith("emergency rollback: EMERGENCY alert:", done.GetProperty("lastReason").GetString());
        Assert.Equal(JsonValueKind.Null, (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("canaryVersion").ValueKind);

        var evt = Assert.Single(await Eventually.GetAsync(async () => (await rollbacks.TakeAsync()).Where(e => e.GetProperty("domain").GetString() == domain).ToList(),
            l => l.Count > 0, "RollbackPerformed"));
        Assert.Equal(("emergency", id), (evt.GetProperty("type").GetString(), evt.GetProperty("rolloutId").GetGuid()));
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=rollout&entityId={id}&action=rollback");
        Assert.StartsWith("alert:", audit[0].GetProperty("actor").GetString());
    }

    [Fact]
    public async Task A_warning_lowers_the_canary_one_step_each_time_and_the_same_alert_delivered_twice_lowers_it_once()
    {
        HoldOthers();
        var (client, domain, id) = await CanaryAtAsync(50);
        var firstId = Guid.NewGuid();
        var first = Alert(firstId, "WARNING", domain, "1.1.0");

        await PublishAsync(first);
        var lowered = await WaitForRolloutAsync(client, id, r => r.GetProperty("weightPercent").GetDouble() == 10, "the canary lowered to 10%");
        Assert.Equal("running", Status(lowered));
        // The step down's own decision (the analysis goes on at the lower weight, so lastReason moves on).
        var stepDown = lowered.GetProperty("decisions").EnumerateArray().Single(d => d.GetProperty("action").GetString() == "stepdown");
        Assert.StartsWith("gradual rollback: WARNING alert:", stepDown.GetProperty("reason").GetString());
        Assert.EndsWith("weight 50% to 10%", stepDown.GetProperty("reason").GetString());
        Assert.StartsWith("alert:", stepDown.GetProperty("actor").GetString());
        Assert.Equal(10, (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("canaryWeight").GetDouble());

        // Redelivered (the same event), then a second warning: only the second lowers it again.
        await PublishAsync(first);
        var secondId = Guid.NewGuid();
        await PublishAsync(Alert(secondId, "WARNING", domain, "1.1.0"));
        await WaitForRolloutAsync(client, id, r => r.GetProperty("weightPercent").GetDouble() == 1, "the canary lowered to 1%");
        await Eventually.GetAsync(() => QueueDepthAsync("alert-raised"), depth => depth == 0, "the alerts consumed");
        var after = await GetJsonAsync(client, $"/api/rollouts/{id}");
        Assert.Equal(("running", 1.0), (Status(after), after.GetProperty("weightPercent").GetDouble()));
        Assert.Equal(2, Moves(after).Count(m => m.Item1 == "stepdown"));
        var handled = await GetJsonAsync(client, $"/api/audit?entityType=alert&entityId={firstId}");
        Assert.Equal("acted", Assert.Single(handled.EnumerateArray()).GetProperty("action").GetString());
        Assert.Single((await GetJsonAsync(client, $"/api/audit?entityType=alert&entityId={secondId}")).EnumerateArray());

        // From the first step, the next warning takes the canary to 0: a gradual rollback.
        await PublishAsync(Alert(Guid.NewGuid(), "WARNING", domain, "1.1.0"));
        var gone = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the gradual rollback's end");
        Assert.Equal("gradual", gone.GetProperty("rollbackType").GetString());
        Assert.Equal("gradual", (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("lastRollback").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Alerts_about_another_version_or_of_level_info_change_nothing()
    {
        HoldOthers();
        var (client, domain, id) = await CanaryAtAsync(10);
        var other = Guid.NewGuid();
        var info = Guid.NewGuid();
        await PublishAsync(Alert(other, "EMERGENCY", domain, "1.0.0", value: 0.5));
        await PublishAsync(Alert(info, "INFO", domain, "1.1.0"));
        foreach (var alert in new[] { other, info })
        {
            var seen = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=alert&entityId={alert}"), a => a.GetArrayLength() == 1, "the alert handled");
            Assert.Equal("ignored", seen[0].GetProperty("action").GetString());
        }
        Assert.Contains("neither the canary", (await GetJsonAsync(client, $"/api/audit?entityType=alert&entityId={other}"))[0].GetProperty("reason").GetString());

        // The stable is at EMERGENCY on the error rate: a CRITICAL canary is no reason to send its traffic there.
        var critical = Guid.NewGuid();
        await PublishAsync(Alert(critical, "CRITICAL", domain, "1.1.0", value: 0.3));
        var judged = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=alert&entityId={critical}"), a => a.GetArrayLength() == 1, "the canary's alert handled");
        Assert.Equal("ignored", judged[0].GetProperty("action").GetString());
        Assert.Equal("1.0.0, where the traffic would go back, is at EMERGENCY on error_rate too: rolling back would not help", judged[0].GetProperty("reason").GetString());
        var rollout = await GetJsonAsync(client, $"/api/rollouts/{id}");
        Assert.Equal(("running", 10.0), (Status(rollout), rollout.GetProperty("weightPercent").GetDouble()));
        await client.PostAsJsonAsync($"/api/rollouts/{id}/abort", new { reason = "test over" }, Ct);
    }

    [Fact]
    public async Task Critical_figures_in_a_canary_analysis_roll_back_as_an_emergency_even_on_a_hold()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        HoldOthers(_ =>
        {
            var reply = new AnalyzeReply { Verdict = "hold", Reason = "p = 0.07" };
            reply.Metrics.Add(new MetricComparison { Metric = "latency", Baseline = 120, Candidate = 4200, BaselineSamples = 500, CandidateSamples = 30, LimitName = "maxLatencyRatio", Limit = 1.5 });
            return reply;
        }, domain);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the emergency rollback");
        Assert.Equal("emergency", done.GetProperty("rollbackType").GetString());
        Assert.Equal("emergency rollback: mean latency 4200 ms above 3000 ms (baseline 120 ms)", done.GetProperty("lastReason").GetString());
    }

    [Fact]
    public async Task A_rollback_verdict_is_an_automatic_rollback_with_the_analysis_reason()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        HoldOthers(_ =>
        {
            var reply = new AnalyzeReply { Verdict = "rollback", Reason = "latency 170.0 vs 100.0 (x1.70) is above x1.5 (p = 0.001)" };
            reply.Metrics.Add(new MetricComparison { Metric = "latency", Baseline = 100, Candidate = 170, BaselineSamples = 500, CandidateSamples = 300, Breached = true, LimitName = "maxLatencyRatio", Limit = 1.5 });
            return reply;
        }, domain);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the rollback");
        Assert.Equal(("automatic", "rollback: latency 170.0 vs 100.0 (x1.70) is above x1.5 (p = 0.001)"),
            (done.GetProperty("rollbackType").GetString(), done.GetProperty("lastReason").GetString()));
        Assert.Equal("automatic", (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("lastRollback").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Five_failed_checks_in_a_row_roll_a_canary_back_as_an_emergency()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        // Beyond the latency limit as observed but not significant: each check holds and fails.
        HoldOthers(_ =>
        {
            var reply = new AnalyzeReply { Verdict = "hold", Reason = "latency x1.8, p = 0.2" };
            reply.Metrics.Add(new MetricComparison { Metric = "latency", Baseline = 1000, Candidate = 1800, BaselineSamples = 500, CandidateSamples = 20, LimitName = "maxLatencyRatio", Limit = 1.5 });
            return reply;
        }, domain);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the rollback after five failed checks");
        Assert.Equal(("emergency", 5), (done.GetProperty("rollbackType").GetString(), done.GetProperty("failedChecks").GetInt32()));
        Assert.StartsWith("emergency rollback: 5 failed monitoring checks in a row", done.GetProperty("lastReason").GetString());
        Assert.Equal(4, done.GetProperty("decisions").EnumerateArray().Count(d => d.GetProperty("action").GetString() == "hold"));
    }

    [Fact]
    public async Task An_operators_immediate_rollback_is_manual_and_a_bad_request_names_its_field()
    {
        HoldOthers();
        var (client, domain, id) = await CanaryAtAsync(10);
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "x", speed = "fast" }, Ct), HttpStatusCode.BadRequest, "speed");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { speed = "immediate" }, Ct), HttpStatusCode.BadRequest, "reason");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "x", at = DateTimeOffset.UtcNow.AddHours(-1) }, Ct), HttpStatusCode.BadRequest, "at");

        var response = await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "users complain" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var done = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("rolled_back", "manual", "manual rollback: users complain: weight 10% to 0"),
            (Status(done), done.GetProperty("rollbackType").GetString(), done.GetProperty("lastReason").GetString()));
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "again" }, Ct), HttpStatusCode.Conflict, "nothing to roll back");
        var rollback = (await GetJsonAsync(client, $"/api/deployments/{domain}/rollbacks"))[0];
        Assert.Equal(("manual", "system", id), (rollback.GetProperty("type").GetString(), rollback.GetProperty("actor").GetString(), rollback.GetProperty("rolloutId").GetGuid()));
    }

    [Fact]
    public async Task A_gradual_manual_rollback_goes_down_in_the_steps_asked_for_while_the_analysis_no_longer_moves_it()
    {
        HoldOthers();
        var (client, domain, id) = await CanaryAtAsync(50);
        var response = await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "slow answers", speed = "gradual", steps = 2, stepSeconds = 1 }, Ct);
        // The analysis would promote the canary: during the rollback it must not.
        HoldOthers(_ => FakeRemotes.Reply("continue", 500), domain);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var first = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(25, first.GetProperty("weightPercent").GetDouble());
        Assert.Equal([0.0], first.GetProperty("pendingRollback").GetProperty("weights").EnumerateArray().Select(w => w.GetDouble()));

        var done = await WaitForRolloutAsync(client, id, r => Status(r) != "running", "the gradual rollback's end");
        Assert.Equal(("rolled_back", "manual"), (Status(done), done.GetProperty("rollbackType").GetString()));
        Assert.Equal([("advance", 10.0), ("advance", 50), ("stepdown", 25), ("rollback", 0)], Moves(done));
        Assert.Equal(JsonValueKind.Null, done.GetProperty("pendingRollback").ValueKind);
    }

    [Fact]
    public async Task A_scheduled_rollback_waits_for_its_time_then_sends_the_traffic_back()
    {
        HoldOthers();
        var (client, domain, id) = await CanaryAtAsync(10);
        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        var response = await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "end of the trial", at }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var planned = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("running", 10.0), (Status(planned), planned.GetProperty("weightPercent").GetDouble()));
        var pending = planned.GetProperty("pendingRollback");
        Assert.Equal(("scheduled", "end of the trial"), (pending.GetProperty("type").GetString(), pending.GetProperty("reason").GetString()));
        Assert.Equal(at.UtcDateTime, pending.GetProperty("nextAt").GetDateTime(), TimeSpan.FromMilliseconds(1));
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "twice" }, Ct), HttpStatusCode.Conflict, "already planned");

        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the scheduled rollback");
        Assert.Equal(("scheduled", "scheduled rollback: end of the trial: weight 10% to 0"), (done.GetProperty("rollbackType").GetString(), done.GetProperty("lastReason").GetString()));
        Assert.True(done.GetProperty("decisions").EnumerateArray().Last().GetProperty("decidedAt").GetDateTime() >= at.UtcDateTime);
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=rollout&entityId={id}&action=rollback-scheduled");
        Assert.Single(audit.EnumerateArray());
    }

    [Fact]
    public async Task A_scheduled_rollback_of_the_stable_version_is_made_at_its_time_and_one_can_be_cancelled()
    {
        HoldOthers();
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        await DeployStableAsync(client, domain, "1.1.0");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.0.0", reason = "x", at = DateTimeOffset.UtcNow.AddMinutes(-1) }, Ct),
            HttpStatusCode.BadRequest, "at");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.1.0", reason = "x", at = DateTimeOffset.UtcNow.AddHours(1) }, Ct),
            HttpStatusCode.Conflict, "already serves");

        var later = await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.0.0", reason = "maintenance window", at = DateTimeOffset.UtcNow.AddHours(1) }, Ct);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal("1.0.0", (await later.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("scheduledRollback").GetProperty("version").GetString());
        var cancelled = await client.DeleteAsync($"/api/deployments/{domain}/rollback", Ct);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await cancelled.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("scheduledRollback").ValueKind);
        await AssertProblemAsync(await client.DeleteAsync($"/api/deployments/{domain}/rollback", Ct), HttpStatusCode.NotFound, "No rollback");

        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        var planned = await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.0.0", reason = "end of the trial", at }, Ct);
        Assert.Equal("1.1.0", (await planned.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("stableVersion").GetString());
        var done = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/deployments/{domain}"), d => d.GetProperty("stableVersion").GetString() == "1.0.0", "the scheduled rollback");
        var last = done.GetProperty("lastRollback");
        Assert.Equal(("scheduled", "scheduled rollback: end of the trial", "1.1.0"), (last.GetProperty("type").GetString(), last.GetProperty("reason").GetString(), last.GetProperty("fromVersion").GetString()));
        Assert.True(last.GetProperty("at").GetDateTime() >= at.UtcDateTime);
        Assert.Equal(JsonValueKind.Null, done.GetProperty("scheduledRollback").ValueKind);
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=deployment&entityId={domain}");
        Assert.Equal(["rollback", "rollback-scheduled", "rollback-cancelled", "rollback-scheduled", "deploy", "deploy"], audit.EnumerateArray().Select(a => a.GetProperty("action").GetString()));
    }

    /// <summary>Messages waiting or in flight in the service's queue for an event (RabbitMQ's management API).</summary>
    private async Task<long> QueueDepthAsync(string eventName)
    {
        using var management = EventTap.Management();
        var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(factory.VirtualHost.Name)}", Ct);
        return queues.EnumerateArray().Where(q => q.GetProperty("name").GetString()!.Contains(eventName, StringComparison.Ordinal) && !q.GetProperty("name").GetString()!.StartsWith("test-tap"))
            .Sum(q => (q.TryGetProperty("messages", out var m) ? m.GetInt64() : 0));
    }
}
