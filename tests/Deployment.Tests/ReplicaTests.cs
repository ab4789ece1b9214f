using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;
using StackExchange.Redis;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Several replicas on one database: restarts, racing controllers and the shared cache.</summary>
public sealed class ReplicaTests
{
    private static string Status(JsonElement rollout) => rollout.GetProperty("status").GetString()!;

    [Fact]
    public async Task A_restarted_service_resumes_the_rollout_at_the_step_it_had_reached()
    {
        await using var shared = await SharedDeployment.CreateAsync();
        var calls = 0;
        // The first analysis lets step 1 pass; then it holds until the test says otherwise.
        var release = false;
        shared.Remotes.Verdict = _ => Interlocked.Increment(ref calls) == 1 || Volatile.Read(ref release) ? FakeRemotes.Reply("continue", 100) : FakeRemotes.Reply("hold", 100);

        Guid id;
        string domain;
        await using (var first = await shared.StartReplicaAsync())
        {
            var client = first.CreateClient();
            domain = await CreateDomainAsync(client);
            await RegisterOkAsync(client, domain, "1.0.0");
            await RegisterOkAsync(client, domain, "2.0.0");
            await DeployStableAsync(client, domain, "1.0.0");
            id = await StartRolloutAsync(client, domain, "2.0.0");
            await WaitForRolloutAsync(client, id, r => r.GetProperty("stepIndex").GetInt32() == 1 && r.GetProperty("decisions").GetArrayLength() >= 3, "step 2 (10%) and a hold");
        }

        await using var second = await shared.StartReplicaAsync();
        var again = second.CreateClient();
        var resumed = await GetJsonAsync(again, $"/api/rollouts/{id}");
        Assert.Equal("running", Status(resumed));
        Assert.Equal(1, resumed.GetProperty("stepIndex").GetInt32());
        Assert.Equal(10, resumed.GetProperty("weightPercent").GetDouble());

        Volatile.Write(ref release, true);
        var done = await WaitForRolloutAsync(again, id, r => Status(r) == "succeeded", "the resumed rollout to complete");
        var advances = done.GetProperty("decisions").EnumerateArray().Where(d => d.GetProperty("action").GetString() is "advance" or "complete")
            .Select(d => d.GetProperty("toWeight").GetDouble());
        Assert.Equal([1.0, 10, 50, 100], advances);
        Assert.Equal("2.0.0", (await GetJsonAsync(again, $"/api/deployments/{domain}")).GetProperty("stableVersion").GetString());
    }

    [Fact]
    public async Task A_restarted_service_goes_on_watching_a_promotion_and_rolls_back_a_degraded_new_stable()
    {
        await using var shared = await SharedDeployment.CreateAsync();
        shared.Remotes.WatchVerdict = _ => FakeRemotes.Reply("hold", 0, "not enough samples yet");

        string domain;
        DateTime until;
        await using (var first = await shared.StartReplicaAsync())
        {
            var client = first.CreateClient();
            domain = await CreateDomainAsync(client, new { rollback = new { watchSeconds = 3600 } });
            await RegisterOkAsync(client, domain, "1.0.0");
            await RegisterOkAsync(client, domain, "2.0.0");
            await DeployStableAsync(client, domain, "1.0.0");
            await DeployStableAsync(client, domain, "2.0.0");
            var watching = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/deployments/{domain}"),
                d => d.GetProperty("watch").GetProperty("lastVerdict").GetString() == "hold", "a first check of the watch");
            until = watching.GetProperty("watch").GetProperty("until").GetDateTime();
        }

        // The watch is in the database: the next replica checks it, with the same window, and acts on it.
        shared.Remotes.WatchVerdict = _ => FakeRemotes.Reply("rollback", 400, "error rate 20% vs 1%");
        await using var second = await shared.StartReplicaAsync();
        var again = second.CreateClient();
        // A check cut short by the stop keeps its lease until it expires (Deployment:RolloutLease, 60 s): the bound allows for it.
        var back = await Eventually.GetAsync(() => GetJsonAsync(again, $"/api/deployments/{domain}"),
            d => d.GetProperty("stableVersion").GetString() == "1.0.0", "the rollback by the restarted service", TimeSpan.FromMinutes(3));
        var watch = back.GetProperty("watch");
        Assert.Equal(("rolled_back", until), (watch.GetProperty("status").GetString(), watch.GetProperty("until").GetDateTime()));
        Assert.Equal("post-promotion watch of 2.0.0: error rate 20% vs 1%", back.GetProperty("lastRollback").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Two_controllers_on_one_database_advance_each_step_once()
    {
        await using var shared = await SharedDeployment.CreateAsync();
        shared.Remotes.Verdict = _ => FakeRemotes.Reply("continue", 100);
        await using var a = await shared.StartReplicaAsync();
        await using var b = await shared.StartReplicaAsync();
        var client = a.CreateClient();

        var domains = new List<(string Domain, Guid Rollout)>();
        for (var i = 0; i < 3; i++)
        {
            var domain = await CreateDomainAsync(client);
            await RegisterOkAsync(client, domain, "1.0.0");
            await RegisterOkAsync(client, domain, "1.1.0");
            await DeployStableAsync(client, domain, "1.0.0");
            domains.Add((domain, await StartRolloutAsync(client, domain, "1.1.0", steps: [1, 2, 5, 10, 25, 50, 75, 100])));
        }

        var analysed = 0;
        foreach (var (_, rollout) in domains)
        {
            var done = await WaitForRolloutAsync(b.CreateClient(), rollout, r => Status(r) == "succeeded", "each rollout to complete");
            var decisions = done.GetProperty("decisions").EnumerateArray().Skip(1).ToList();
            Assert.Equal([0, 1, 2, 3, 4, 5, 6], decisions.Select(d => d.GetProperty("fromStep").GetInt32()));
            analysed += decisions.Count;
        }
        // Every Analyze call led to exactly one recorded decision: no step was analysed by both replicas.
        Assert.Equal(analysed, shared.Remotes.AnalyzeCalls.Count);
    }

    [Fact]
    public async Task A_change_made_on_one_replica_is_seen_by_the_other_through_the_shared_cache()
    {
        await using var shared = await SharedDeployment.CreateAsync();
        await using var a = await shared.StartReplicaAsync();
        await using var b = await shared.StartReplicaAsync();
        var clientA = a.CreateClient();
        var clientB = b.CreateClient();

        var id = await CreateDomainAsync(clientA);
        Assert.Equal("SQL agent", (await GetJsonAsync(clientA, $"/api/domains/{id}")).GetProperty("config").GetProperty("name").GetString());
        var redis = await ConnectionMultiplexer.ConnectAsync($"{TestInfrastructure.Redis},defaultDatabase={shared.RedisDatabase}");
        var server = redis.GetServers().First();
        Assert.NotEmpty(server.Keys(shared.RedisDatabase, $"{shared.Database.Name}:cache:*:domain:{id}"));

        var patched = await clientB.PatchAsJsonAsync($"/api/domains/{id}", new { name = "SQL agent v2" }, Ct);
        patched.EnsureSuccessStatusCode();
        Assert.Equal("SQL agent v2", (await GetJsonAsync(clientA, $"/api/domains/{id}")).GetProperty("config").GetProperty("name").GetString());

        var before = (await GetJsonAsync(clientA, "/api/deployments/route-table")).GetProperty("revision").GetInt64();
        await clientB.PostAsJsonAsync($"/api/domains/{id}/archive", new { reason = "gone" }, Ct);
        var after = await GetJsonAsync(clientA, "/api/deployments/route-table");
        Assert.True(after.GetProperty("revision").GetInt64() > before);
        Assert.DoesNotContain(after.GetProperty("domains").EnumerateArray(), d => d.GetProperty("domain").GetString() == id);
        await redis.DisposeAsync();
    }
}
