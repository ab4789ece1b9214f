using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Deployment;
using DomainPlatform.TestSupport;
using Grpc.Net.Client;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

public sealed class RolloutTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private async Task<(HttpClient Client, string Domain)> DomainWithStableAsync()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        return (client, domain);
    }

    private static string Status(JsonElement rollout) => rollout.GetProperty("status").GetString()!;

    [Fact]
    public async Task Continue_verdicts_advance_step_by_step_to_full_promotion()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.Verdict = r => r.Domain == domain ? FakeRemotes.Reply("continue", 200) : FakeRemotes.Reply("hold", 0);
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        Assert.Contains($"{domain}@1.1.0", factory.Remotes.Loaded);

        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "succeeded", "the rollout to complete");
        var moves = done.GetProperty("decisions").EnumerateArray().Select(d => (d.GetProperty("action").GetString(), d.GetProperty("toWeight").GetDouble())).ToList();
        Assert.Equal([("advance", 1), ("advance", 10), ("advance", 50), ("complete", 100)], moves);
        Assert.All(done.GetProperty("decisions").EnumerateArray().Skip(1), d => Assert.Equal("continue", d.GetProperty("verdict").GetString()));
        // Each step the controller began got its own estimate: the last one for 50% (10 samples a side at 10 served requests/s).
        Assert.Equal(2, done.GetProperty("estimatedStepSeconds").GetDouble());
        Assert.StartsWith("10 samples a side at 50% of 10 served requests/s", done.GetProperty("estimateReason").GetString());

        var deployment = await GetJsonAsync(client, $"/api/deployments/{domain}");
        Assert.Equal("1.1.0", deployment.GetProperty("stableVersion").GetString());
        Assert.Equal(JsonValueKind.Null, deployment.GetProperty("canaryVersion").ValueKind);
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.Contains($"{domain}@1.0.0")), x => x, "the old stable to be unloaded");
        var version = await GetJsonAsync(client, $"/api/models/{domain}/versions/1.1.0");
        Assert.Equal(["stable"], version.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Hold_verdicts_and_too_few_samples_keep_the_step()
    {
        var (client, domain) = await DomainWithStableAsync();
        var calls = 0;
        factory.Remotes.Verdict = r =>
        {
            if (r.Domain != domain) return FakeRemotes.Reply("hold", 0);
            // First a hold from the analysis, then continue verdicts with fewer samples than the rollout needs.
            return Interlocked.Increment(ref calls) <= 2 ? FakeRemotes.Reply("hold", 500, "p = 0.4, not yet significant") : FakeRemotes.Reply("continue", 5);
        };
        var id = await StartRolloutAsync(client, domain, "1.1.0", minSamples: 100);
        var held = await WaitForRolloutAsync(client, id, r => r.GetProperty("decisions").GetArrayLength() >= 5, "several decisions");

        Assert.Equal("running", Status(held));
        Assert.Equal(0, held.GetProperty("stepIndex").GetInt32());
        var decisions = held.GetProperty("decisions").EnumerateArray().Skip(1).ToList();
        Assert.All(decisions, d => Assert.Equal("hold", d.GetProperty("action").GetString()));
        Assert.Contains(decisions, d => d.GetProperty("reason").GetString()!.Contains("not yet significant"));
        Assert.Contains(decisions, d => d.GetProperty("reason").GetString()!.Contains("5 candidate samples of the 100 minimum"));
        Assert.Equal(500, decisions[0].GetProperty("figures")[0].GetProperty("candidateSamples").GetInt64());

        var routes = await GetJsonAsync(client, "/api/deployments/route-table");
        var route = routes.GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == domain);
        Assert.Equal([("stable", 99.0), ("canary", 1.0)], route.GetProperty("variants").EnumerateArray().Select(v => (v.GetProperty("name").GetString(), v.GetProperty("weightPercent").GetDouble())));

        var abort = await client.PostAsJsonAsync($"/api/rollouts/{id}/abort", new { reason = "test over" }, Ct);
        Assert.Equal(HttpStatusCode.OK, abort.StatusCode);
    }

    [Fact]
    public async Task A_rollback_verdict_sends_traffic_back_and_unloads_the_candidate()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.Verdict = r => r.Domain == domain ? FakeRemotes.Reply("rollback", 300, "error rate 20% above 10%") : FakeRemotes.Reply("hold", 0);
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        var rolledBack = await WaitForRolloutAsync(client, id, r => Status(r) == "rolled_back", "the rollback");
        var last = rolledBack.GetProperty("decisions").EnumerateArray().Last();
        Assert.Equal("rollback", last.GetProperty("action").GetString());
        Assert.Contains("error rate 20%", last.GetProperty("reason").GetString());
        Assert.True(last.GetProperty("figures")[0].GetProperty("breached").GetBoolean());
        // The domain's limits (relative error rate, no ceiling by default) with the rollout's own minSamples.
        var thresholds = factory.Remotes.AnalyzeCalls.Last(r => r.Domain == domain).Thresholds;
        Assert.Equal((1.0, 0.02, 10), (thresholds.MaxErrorRate, thresholds.MaxErrorRateIncrease, thresholds.MinSamples));

        var deployment = await GetJsonAsync(client, $"/api/deployments/{domain}");
        Assert.Equal("1.0.0", deployment.GetProperty("stableVersion").GetString());
        Assert.Equal(JsonValueKind.Null, deployment.GetProperty("canaryVersion").ValueKind);
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.Contains($"{domain}@1.1.0")), x => x, "the candidate to be unloaded");

        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        var table = await new ModelRegistry.ModelRegistryClient(channel).GetRouteTableAsync(new GetRouteTableRequest(), cancellationToken: Ct);
        var route = table.Domains.Single(d => d.Domain == domain);
        var variant = Assert.Single(route.Variants);
        Assert.Equal(($"{domain}@1.0.0", 100.0, "inference"), (variant.ModelId, variant.WeightPercent, variant.Destination));

        var audit = await GetJsonAsync(client, $"/api/audit?entityType=rollout&entityId={id}");
        Assert.Equal(["rollback", "start"], audit.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("rollback: error rate 20% above 10%", audit[0].GetProperty("reason").GetString());
        var decided = Assert.Single(audit[0].GetProperty("after").GetProperty("decisions").EnumerateArray());
        Assert.Equal(("rollback", "rollback"), (decided.GetProperty("action").GetString(), decided.GetProperty("verdict").GetString()));
        Assert.True(decided.GetProperty("figures")[0].GetProperty("breached").GetBoolean());
    }

    [Fact]
    public async Task When_inference_cannot_load_the_candidate_no_traffic_moves_and_nothing_is_written()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.RefuseToLoad[$"{domain}@1.1.0"] = true;

        var refused = await client.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.1.0" }, Ct);
        await AssertProblemAsync(refused, HttpStatusCode.BadGateway, "no memory for another model");

        Assert.Equal(0, (await GetJsonAsync(client, $"/api/rollouts?domain={domain}")).GetArrayLength());
        var deployment = await GetJsonAsync(client, $"/api/deployments/{domain}");
        Assert.Equal(JsonValueKind.Null, deployment.GetProperty("canaryVersion").ValueKind);
        var audited = await GetJsonAsync(client, $"/api/audit?entityType=deployment&entityId={domain}");
        Assert.Equal(["deploy"], audited.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        var version = await GetJsonAsync(client, $"/api/models/{domain}/versions/1.1.0");
        Assert.Empty(version.GetProperty("aliases").EnumerateArray());
    }

    [Fact]
    public async Task Manual_pause_resume_promote_and_abort()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.Verdict = _ => FakeRemotes.Reply("hold", 0);
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        async Task<JsonElement> Command(string verb, HttpStatusCode expected)
        {
            var response = await client.PostAsJsonAsync($"/api/rollouts/{id}/{verb}", new { reason = $"{verb} by test" }, Ct);
            Assert.Equal(expected, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        }

        Assert.Equal("paused", Status(await Command("pause", HttpStatusCode.OK)));
        await Command("pause", HttpStatusCode.Conflict);
        Assert.Equal("running", Status(await Command("resume", HttpStatusCode.OK)));
        var promoted = await Command("promote", HttpStatusCode.OK);
        Assert.Equal(10, promoted.GetProperty("weightPercent").GetDouble());
        Assert.Equal("aborted", Status(await Command("abort", HttpStatusCode.OK)));
        await Command("resume", HttpStatusCode.Conflict);
        Assert.Equal("1.0.0", (await GetJsonAsync(client, $"/api/deployments/{domain}")).GetProperty("stableVersion").GetString());
    }

    [Fact]
    public async Task A_domain_with_a_running_rollout_cannot_be_archived_deleted_or_given_a_second_rollout()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.Verdict = _ => FakeRemotes.Reply("hold", 0);
        await RegisterOkAsync(client, domain, "1.2.0");
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        await AssertProblemAsync(await client.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.2.0" }, Ct), HttpStatusCode.Conflict, "already running");
        await AssertProblemAsync(await client.DeleteAsync($"/api/domains/{domain}?force=true", Ct), HttpStatusCode.Conflict, "abort it first");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/domains/{domain}/archive", new { reason = "r" }, Ct), HttpStatusCode.Conflict, "abort it first");
        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.2.0", reason = "r" }, Ct), HttpStatusCode.Conflict, "abort it first");
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.2.0", steps = new[] { 50, 10, 100 } }, Ct), HttpStatusCode.BadRequest, "rise");

        await client.PostAsJsonAsync($"/api/rollouts/{id}/abort", new { reason = "done" }, Ct);
        var rollback = await client.PostAsJsonAsync($"/api/deployments/{domain}/rollback", new { version = "1.2.0", reason = "hotfix" }, Ct);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        Assert.Equal("1.2.0", (await rollback.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("stableVersion").GetString());
        // The reason is kept with the change in the audit log, not only in the RollbackPerformed event.
        var audited = await GetJsonAsync(client, $"/api/audit?entityType=deployment&entityId={domain}&action=rollback");
        Assert.Equal("hotfix", audited[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Figures_the_analysis_could_not_compute_are_recorded_as_null_and_the_rollout_still_moves()
    {
        var (client, domain) = await DomainWithStableAsync();
        // What experimentation really sends below the minimum samples or without a baseline: NaN figures.
        factory.Remotes.Verdict = r =>
        {
            if (r.Domain != domain) return FakeRemotes.Reply("hold", 0);
            var reply = FakeRemotes.Reply("continue", 500);
            reply.Metrics.Add(new DomainPlatform.Protos.Experimentation.MetricComparison
            {
                Metric = "latency", Baseline = double.NaN, Candidate = 12.5, BaselineSamples = 0, CandidateSamples = 500, PValue = double.NaN, Note = "no baseline",
            });
            return reply;
        };
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        var done = await WaitForRolloutAsync(client, id, r => Status(r) == "succeeded", "the rollout to complete");
        var latency = done.GetProperty("decisions")[1].GetProperty("figures").EnumerateArray().Single(f => f.GetProperty("metric").GetString() == "latency");
        Assert.Equal(JsonValueKind.Null, latency.GetProperty("baseline").ValueKind);
        Assert.Equal(JsonValueKind.Null, latency.GetProperty("pValue").ValueKind);
        Assert.Equal(12.5, latency.GetProperty("candidate").GetDouble());
    }

    [Fact]
    public async Task The_analysis_is_asked_for_no_metric_by_name_so_a_domain_without_feedback_is_not_held_for_accuracy()
    {
        var (client, domain) = await DomainWithStableAsync();
        factory.Remotes.Verdict = r => FakeRemotes.Reply(r.Domain == domain ? "continue" : "hold", 500);
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        await WaitForRolloutAsync(client, id, r => Status(r) == "succeeded", "the rollout to complete");

        // Experimentation requires feedback for every metric named; left unnamed, accuracy counts once feedback exists.
        var calls = factory.Remotes.AnalyzeCalls.Where(r => r.Domain == domain).ToList();
        Assert.NotEmpty(calls);
        Assert.All(calls, r => Assert.Empty(r.Metrics));
    }

    [Fact]
    public async Task An_accuracy_drop_of_zero_reaches_the_analysis_as_set_not_as_unset()
    {
        var (client, domain) = await DomainWithStableAsync();
        var patched = await client.PatchAsJsonAsync($"/api/domains/{domain}", new { rollback = new { maxAccuracyDrop = 0.0 } }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        factory.Remotes.Verdict = r => FakeRemotes.Reply("hold", 0);
        var id = await StartRolloutAsync(client, domain, "1.1.0");

        var call = await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.AnalyzeCalls.LastOrDefault(r => r.Domain == domain)), r => r is not null, "an analysis");
        Assert.True(call!.Thresholds.HasMaxAccuracyDrop);
        Assert.Equal(0, call.Thresholds.MaxAccuracyDrop);
        await client.PostAsJsonAsync($"/api/rollouts/{id}/abort", new { reason = "test over" }, Ct);
    }
}
