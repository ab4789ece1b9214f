using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

public sealed class DomainLifecycleTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    [Fact]
    public async Task A_new_domain_gets_the_default_gates_thresholds_and_cache()
    {
        var client = factory.CreateClient();
        var id = await CreateDomainAsync(client);
        var domain = await GetJsonAsync(client, $"/api/domains/{id}");
        var config = domain.GetProperty("config");
        Assert.Equal(0.85, config.GetProperty("gates").GetProperty("minAccuracy").GetDouble());
        Assert.Equal(500, config.GetProperty("gates").GetProperty("maxLatencyMs").GetDouble());
        Assert.Equal(0.3, config.GetProperty("gates").GetProperty("maxTrainingLoss").GetDouble());
        Assert.Equal(0.35, config.GetProperty("gates").GetProperty("maxValidationLoss").GetDouble());
        Assert.Equal(0.05, config.GetProperty("rollback").GetProperty("maxAccuracyDrop").GetDouble());
        Assert.Equal(1.5, config.GetProperty("rollback").GetProperty("maxLatencyRatio").GetDouble());
        // Relative to the stable version: +2 points allowed; no absolute ceiling unless the domain sets one.
        Assert.Equal(0.02, config.GetProperty("rollback").GetProperty("maxErrorRateIncrease").GetDouble());
        Assert.Equal(1, config.GetProperty("rollback").GetProperty("maxErrorRate").GetDouble());
        Assert.Equal(50, config.GetProperty("rollback").GetProperty("minSamples").GetInt32());
        Assert.True(config.GetProperty("cache").GetProperty("enabled").GetBoolean());
        Assert.All(config.GetProperty("rollout").EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));
        Assert.Equal(1, domain.GetProperty("revision").GetInt32());
    }

    [Fact]
    public async Task A_patch_changes_only_what_it_names_and_makes_a_revision_while_a_bad_patch_changes_nothing()
    {
        var client = factory.CreateClient();
        var id = await CreateDomainAsync(client);

        var patched = await client.PatchAsJsonAsync($"/api/domains/{id}", new { team = "platform", gates = new { minAccuracy = 0.9 } }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var domain = await patched.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(2, domain.GetProperty("revision").GetInt32());
        Assert.Equal("platform", domain.GetProperty("config").GetProperty("team").GetString());
        Assert.Equal("SQL agent", domain.GetProperty("config").GetProperty("name").GetString());
        Assert.Equal(0.9, domain.GetProperty("config").GetProperty("gates").GetProperty("minAccuracy").GetDouble());
        Assert.Equal(500, domain.GetProperty("config").GetProperty("gates").GetProperty("maxLatencyMs").GetDouble());

        var bad = await client.PatchAsJsonAsync($"/api/domains/{id}", new { team = "other", rollback = new { maxLatencyRatio = 0.5 } }, Ct);
        await AssertProblemAsync(bad, HttpStatusCode.BadRequest, "maxLatencyRatio");

        var after = await GetJsonAsync(client, $"/api/domains/{id}");
        Assert.Equal(2, after.GetProperty("revision").GetInt32());
        Assert.Equal("platform", after.GetProperty("config").GetProperty("team").GetString());
        var revisions = await GetJsonAsync(client, $"/api/domains/{id}/revisions");
        Assert.Equal([1, 2], revisions.EnumerateArray().Select(r => r.GetProperty("revision").GetInt32()));
    }

    [Fact]
    public async Task List_filters_by_status_team_and_layer()
    {
        var client = factory.CreateClient();
        var a = await CreateDomainAsync(client, new { team = "alpha-team", layer = "l1" });
        var b = await CreateDomainAsync(client, new { team = "alpha-team", layer = "l2" });
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/domains/{b}/archive", new { reason = "replaced" }, Ct)).StatusCode);

        string[] Ids(JsonElement list) => list.EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(new[] { a, b }.Order(), Ids(await GetJsonAsync(client, "/api/domains?team=alpha-team")).Order());
        Assert.Equal([a], Ids(await GetJsonAsync(client, "/api/domains?team=alpha-team&layer=l1")));
        Assert.Equal([b], Ids(await GetJsonAsync(client, "/api/domains?team=alpha-team&status=archived")));
    }

    [Fact]
    public async Task Archive_needs_a_reason_stops_routing_and_keeps_history()
    {
        var client = factory.CreateClient();
        var id = await CreateDomainAsync(client);
        var routes = await GetJsonAsync(client, "/api/deployments/route-table");
        Assert.Contains(routes.GetProperty("domains").EnumerateArray(), d => d.GetProperty("domain").GetString() == id);

        await AssertProblemAsync(await client.PostAsJsonAsync($"/api/domains/{id}/archive", new { reason = "" }, Ct), HttpStatusCode.BadRequest, "reason");
        var archived = await client.PostAsJsonAsync($"/api/domains/{id}/archive", new { reason = "merged into docs" }, Ct);
        Assert.Equal(HttpStatusCode.OK, archived.StatusCode);

        var domain = await GetJsonAsync(client, $"/api/domains/{id}");
        Assert.Equal("archived", domain.GetProperty("status").GetString());
        Assert.Equal("merged into docs", domain.GetProperty("archivedReason").GetString());
        routes = await GetJsonAsync(client, "/api/deployments/route-table");
        Assert.DoesNotContain(routes.GetProperty("domains").EnumerateArray(), d => d.GetProperty("domain").GetString() == id);
        Assert.Equal(2, (await GetJsonAsync(client, $"/api/domains/{id}/revisions")).GetArrayLength());
        await AssertProblemAsync(await client.PatchAsJsonAsync($"/api/domains/{id}", new { team = "x" }, Ct), HttpStatusCode.Conflict, "archived");
    }

    [Fact]
    public async Task Delete_refuses_an_active_domain_unless_forced_and_keeps_the_audit_trail()
    {
        var client = factory.CreateClient();
        var active = await CreateDomainAsync(client);
        await AssertProblemAsync(await client.DeleteAsync($"/api/domains/{active}", Ct), HttpStatusCode.Conflict, "force");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/domains/{active}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/domains/{active}?force=true", Ct)).StatusCode);
        await AssertProblemAsync(await client.GetAsync($"/api/domains/{active}", Ct), HttpStatusCode.NotFound, active);

        var archived = await CreateDomainAsync(client);
        await client.PostAsJsonAsync($"/api/domains/{archived}/archive", new { reason = "retired" }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/domains/{archived}", Ct)).StatusCode);

        var audit = await GetJsonAsync(client, $"/api/audit?entityType=domain&entityId={active}");
        Assert.Equal(["force-delete", "create"], audit.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Unknown_domains_and_duplicates_get_problem_details()
    {
        var client = factory.CreateClient();
        await AssertProblemAsync(await client.GetAsync("/api/domains/0x0000-Nope", Ct), HttpStatusCode.NotFound, "0x0000-Nope");
        await AssertProblemAsync(await client.PatchAsJsonAsync("/api/domains/0x0000-Nope", new { team = "x" }, Ct), HttpStatusCode.NotFound, "0x0000-Nope");
        await AssertProblemAsync(await client.DeleteAsync("/api/domains/0x0000-Nope", Ct), HttpStatusCode.NotFound, "0x0000-Nope");
        var id = await CreateDomainAsync(client);
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/domains", new { id, name = "again" }, Ct), HttpStatusCode.Conflict, id);
    }

    [Fact]
    public async Task The_audit_log_names_the_actor_and_keeps_before_and_after()
    {
        var client = factory.CreateClient();
        var id = await CreateDomainAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/domains/{id}") { Content = JsonContent.Create(new { name = "Renamed" }) };
        request.Headers.Add("X-Actor", "alice");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request, Ct)).StatusCode);

        var entries = await GetJsonAsync(client, $"/api/audit?entityId={id}&actor=alice");
        var entry = Assert.Single(entries.EnumerateArray());
        Assert.Equal("update", entry.GetProperty("action").GetString());
        Assert.Equal("SQL agent", entry.GetProperty("before").GetProperty("config").GetProperty("name").GetString());
        Assert.Equal("Renamed", entry.GetProperty("after").GetProperty("config").GetProperty("name").GetString());
        var created = Assert.Single((await GetJsonAsync(client, $"/api/audit?entityId={id}&action=create")).EnumerateArray());
        Assert.Equal("system", created.GetProperty("actor").GetString());
    }
}
