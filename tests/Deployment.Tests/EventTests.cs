using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Deployment;
using DomainPlatform.TestSupport;
using Grpc.Net.Client;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

public sealed class EventTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private static async Task<IReadOnlyList<JsonElement>> CollectAsync(EventTap tap, List<JsonElement> into, Func<List<JsonElement>, bool> done, string what)
    {
        await Eventually.GetAsync(async () => { into.AddRange(await tap.TakeAsync()); return into; }, done, what);
        return into;
    }

    [Fact]
    public async Task Rollout_publishes_route_table_changes_deployments_verdicts_and_the_rollback_as_documented()
    {
        var client = factory.CreateClient();
        var vhost = factory.VirtualHost.Name;
        var routeTables = await EventTap.BindAsync(vhost, "domainplatform.route-table-changed");
        var deployed = await EventTap.BindAsync(vhost, "domainplatform.model-deployed");
        var verdicts = await EventTap.BindAsync(vhost, "domainplatform.canary-verdict");
        var rollbacks = await EventTap.BindAsync(vhost, "domainplatform.rollback-performed");

        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        var calls = 0;
        factory.Remotes.Verdict = r => r.Domain != domain ? FakeRemotes.Reply("hold", 0)
            : Interlocked.Increment(ref calls) == 1 ? FakeRemotes.Reply("continue", 100, "within thresholds") : FakeRemotes.Reply("rollback", 100, "error rate 20% above 10%");
        var id = await StartRolloutAsync(client, domain, "1.1.0");
        await WaitForRolloutAsync(client, id, r => r.GetProperty("status").GetString() == "rolled_back", "the rollback");

        var rollback = Assert.Single(await CollectAsync(rollbacks, [], l => l.Any(r => r.GetProperty("domain").GetString() == domain), "RollbackPerformed"),
            r => r.GetProperty("domain").GetString() == domain);
        Assert.Equal(domain, rollback.GetProperty("domain").GetString());
        Assert.Equal("1.1.0", rollback.GetProperty("fromVersion").GetString());
        Assert.Equal("1.0.0", rollback.GetProperty("toVersion").GetString());
        Assert.Equal(id, rollback.GetProperty("rolloutId").GetGuid());
        Assert.Contains("error rate 20%", rollback.GetProperty("reason").GetString());
        Assert.True(rollback.TryGetProperty("eventId", out _) && rollback.TryGetProperty("occurredAt", out _));

        // Other tests' rollouts in this vhost publish too: keep this domain's events.
        static bool Of(JsonElement e, string domain) => e.GetProperty("domain").GetString() == domain;
        var verdictEvents = (await CollectAsync(verdicts, [], l => l.Count(v => Of(v, domain)) >= 2, "two CanaryVerdicts")).Where(v => Of(v, domain)).ToList();
        Assert.Equal(["continue", "rollback"], verdictEvents.Select(v => v.GetProperty("verdict").GetString()));
        Assert.All(verdictEvents, v => Assert.Equal(("1.0.0", "1.1.0"), (v.GetProperty("baselineVersion").GetString(), v.GetProperty("candidateVersion").GetString())));

        var deployments = await CollectAsync(deployed, [], l => l.Count(d => Of(d, domain)) >= 3, "ModelDeployed for stable, canary 1% and 10%");
        Assert.Equal([("1.0.0", "stable", 100.0), ("1.1.0", "canary", 1), ("1.1.0", "canary", 10)],
            deployments.Where(d => d.GetProperty("domain").GetString() == domain)
                .Select(d => (d.GetProperty("version").GetString(), d.GetProperty("role").GetString(), d.GetProperty("weightPercent").GetDouble())));

        static bool Mentions(JsonElement table, string domain) => table.GetProperty("domains").EnumerateArray().Any(d => d.GetProperty("domain").GetString() == domain);
        // Published after: create, deploy stable, canary 1%, canary 10%, rollback (other tests' tables may be interleaved).
        var tables = await CollectAsync(routeTables, [], l => l.Count(t => Mentions(t, domain)) >= 5, "five RouteTableChanged for the domain");
        var revisions = tables.Select(t => t.GetProperty("revision").GetInt64()).ToList();
        Assert.Equal(revisions.Order(), revisions);
        Assert.Equal(revisions.Distinct().Count(), revisions.Count);
        var routes = tables.Where(t => Mentions(t, domain)).Select(t => t.GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == domain)).ToList();
        Assert.Equal([0, 1, 2, 2, 1], routes.Select(r => r.GetProperty("variants").GetArrayLength()));
        var atTen = routes[3];
        var canary = atTen.GetProperty("variants")[1];
        Assert.Equal(("canary", "1.1.0", $"{domain}@1.1.0", "inference"),
            (canary.GetProperty("name").GetString(), canary.GetProperty("modelVersion").GetString(), canary.GetProperty("modelId").GetString(), canary.GetProperty("destination").GetString()));
        Assert.Equal(90, atTen.GetProperty("variants")[0].GetProperty("weightPercent").GetDouble());
        Assert.Equal($"rollout-{id}", atTen.GetProperty("salt").GetString());
        Assert.Equal(["stable"], routes[4].GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_domains_cache_settings_travel_in_the_route_table_and_a_change_to_them_republishes_it()
    {
        var client = factory.CreateClient();
        var routeTables = await EventTap.BindAsync(factory.VirtualHost.Name, "domainplatform.route-table-changed");
        var domain = await CreateDomainAsync(client);
        static JsonElement? RouteOf(JsonElement table, string domain) =>
            table.GetProperty("domains").EnumerateArray().Where(d => d.GetProperty("domain").GetString() == domain).Select(d => (JsonElement?)d).FirstOrDefault();

        var created = await CollectAsync(routeTables, [], l => l.Any(t => RouteOf(t, domain) is not null), "the table naming the new domain");
        var defaults = RouteOf(created.Last(t => RouteOf(t, domain) is not null), domain)!.Value.GetProperty("cache");
        Assert.Equal((true, 300), (defaults.GetProperty("enabled").GetBoolean(), defaults.GetProperty("ttlSeconds").GetInt32()));

        var patched = await client.PatchAsJsonAsync($"/api/domains/{domain}", new { cache = new { enabled = false, ttlSeconds = 60 } }, Ct);
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync(Ct));
        var after = await CollectAsync(routeTables, [], l => l.Any(t => RouteOf(t, domain) is { } r && !r.GetProperty("cache").GetProperty("enabled").GetBoolean()),
            "a table with the domain's cache turned off");
        var off = RouteOf(after.Last(t => RouteOf(t, domain) is not null), domain)!.Value.GetProperty("cache");
        Assert.Equal((false, 60), (off.GetProperty("enabled").GetBoolean(), off.GetProperty("ttlSeconds").GetInt32()));
    }

    [Fact]
    public async Task A_domains_max_tokens_and_creation_time_travel_in_the_route_table_and_a_new_cap_republishes_it()
    {
        var client = factory.CreateClient();
        var routeTables = await EventTap.BindAsync(factory.VirtualHost.Name, "domainplatform.route-table-changed");
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        var domain = await CreateDomainAsync(client, new { maxTokens = 96 });
        static JsonElement? RouteOf(JsonElement table, string domain) =>
            table.GetProperty("domains").EnumerateArray().Where(d => d.GetProperty("domain").GetString() == domain).Select(d => (JsonElement?)d).FirstOrDefault();

        var created = await CollectAsync(routeTables, [], l => l.Any(t => RouteOf(t, domain) is not null), "the table naming the new domain");
        var route = RouteOf(created.Last(t => RouteOf(t, domain) is not null), domain)!.Value;
        Assert.Equal(96, route.GetProperty("maxTokens").GetInt32());
        var createdAt = route.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(createdAt, before, DateTimeOffset.UtcNow.AddMinutes(5));

        var patched = await client.PatchAsJsonAsync($"/api/domains/{domain}", new { maxTokens = 40 }, Ct);
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync(Ct));
        await CollectAsync(routeTables, [], l => l.Any(t => RouteOf(t, domain) is { } r && r.GetProperty("maxTokens").GetInt32() == 40), "a table with the new cap");

        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        var table = await new ModelRegistry.ModelRegistryClient(channel)
            .GetRouteTableAsync(new GetRouteTableRequest(), cancellationToken: Ct);
        var served = table.Domains.Single(d => d.Domain == domain);
        Assert.Equal((40, createdAt.ToUnixTimeSeconds()), (served.MaxTokens, served.CreatedUnixSeconds));
    }

    [Fact]
    public async Task TrainingCompleted_registers_the_version_and_starts_a_canary_when_the_gates_pass_or_records_why_not()
    {
        var client = factory.CreateClient();
        factory.Remotes.Verdict = _ => FakeRemotes.Reply("hold", 0);
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await DeployStableAsync(client, domain, "1.0.0");
        await Eventually.GetAsync(() => client.GetAsync("/health", Ct), r => r.IsSuccessStatusCode, "the bus to be up");

        var (path, sha) = Artifact();
        var good = Guid.NewGuid();
        var bad = Guid.NewGuid();
        await Eventually.GetAsync(async () =>
        {
            try { await EventTap.PublishAsync(factory.VirtualHost.Name, "domainplatform.training-completed", Completed(good, domain, path, sha, 0.91)); return true; }
            catch (Xunit.Sdk.TrueException) { return false; }
        }, ok => ok, "the consumer queue to be bound");
        await EventTap.PublishAsync(factory.VirtualHost.Name, "domainplatform.training-completed", Completed(bad, domain, path, sha, 0.6));

        var outcomes = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/deployments/automatic?domain={domain}"), o => o.GetArrayLength() == 2, "both outcomes");
        var started = outcomes.EnumerateArray().Single(o => o.GetProperty("jobId").GetGuid() == good);
        Assert.Equal("canary-started", started.GetProperty("outcome").GetString());
        var refused = outcomes.EnumerateArray().Single(o => o.GetProperty("jobId").GetGuid() == bad);
        Assert.Equal("gates-failed", refused.GetProperty("outcome").GetString());
        Assert.Contains("accuracy 0.6", refused.GetProperty("reason").GetString());
        // The two events may be handled in either order; each got its own next minor version.
        Assert.Equal(["1.1.0", "1.2.0"], new[] { started, refused }.Select(o => o.GetProperty("version").GetString()).Order());
        var candidate = started.GetProperty("version").GetString();
        Assert.False((await GetJsonAsync(client, $"/api/models/{domain}/versions/{refused.GetProperty("version").GetString()}")).GetProperty("gatesPassed").GetBoolean());

        var rollout = started.GetProperty("rolloutId").GetGuid();
        var running = await GetJsonAsync(client, $"/api/rollouts/{rollout}");
        Assert.Equal(("running", candidate), (running.GetProperty("status").GetString(), running.GetProperty("candidateVersion").GetString()));
        var versions = await GetJsonAsync(client, $"/api/models/{domain}/versions");
        Assert.Equal(["1.2.0", "1.1.0", "1.0.0"], versions.EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=auto-deployment&entityId={bad}");
        Assert.Equal("gates-failed", Assert.Single(audit.EnumerateArray()).GetProperty("action").GetString());

        // The same job announced again under a new event id registers nothing more.
        await EventTap.PublishAsync(factory.VirtualHost.Name, "domainplatform.training-completed", Completed(good, domain, path, sha, 0.91));
        await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=auto-deployment&entityId={good}&action=duplicate"), a => a.GetArrayLength() == 1, "the duplicate to be noticed");
        Assert.Equal(3, (await GetJsonAsync(client, $"/api/models/{domain}/versions")).GetArrayLength());
        await client.PostAsJsonAsync($"/api/rollouts/{rollout}/abort", new { reason = "test over" }, Ct);
    }

    [Fact]
    public async Task TrainingCompleted_with_an_artifact_that_is_no_model_is_rejected_with_the_validators_reason()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await Eventually.GetAsync(() => client.GetAsync("/health", Ct), r => r.IsSuccessStatusCode, "the bus to be up");
        var (path, sha) = ArtifactOf(System.Text.Encoding.UTF8.GetBytes("not a model, a log file\n"));
        var job = Guid.NewGuid();

        await Eventually.GetAsync(async () =>
        {
            try { await EventTap.PublishAsync(factory.VirtualHost.Name, "domainplatform.training-completed", Completed(job, domain, path, sha, 0.91)); return true; }
            catch (Xunit.Sdk.TrueException) { return false; }
        }, ok => ok, "the consumer queue to be bound");

        var outcomes = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/deployments/automatic?domain={domain}"), o => o.GetArrayLength() == 1, "the outcome");
        Assert.Equal("rejected", outcomes[0].GetProperty("outcome").GetString());
        Assert.Contains("not a valid GGUF file", outcomes[0].GetProperty("reason").GetString());
        Assert.Equal(0, (await GetJsonAsync(client, $"/api/models/{domain}/versions")).GetArrayLength());
    }

    private static object Completed(Guid job, string domain, string path, string sha, double accuracy) => new
    {
        eventId = Guid.NewGuid(), occurredAt = DateTimeOffset.UtcNow, schemaVersion = 1,
        jobId = job, domain, datasetId = Guid.NewGuid(), succeeded = true, artifactPath = path, artifactSha256 = sha,
        artifactSizeBytes = new FileInfo(path).Length, baseModelVersion = "1.0.0",
        metrics = new { trainingLoss = 0.2, validationLoss = 0.25, accuracy, latencyMs = 120.0 }, error = (string?)null,
    };
}
