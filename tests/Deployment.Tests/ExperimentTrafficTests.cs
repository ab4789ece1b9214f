using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Experimentation's ExperimentTrafficChanged and ExperimentConcluded, as they reach deployment over RabbitMQ.</summary>
public sealed class ExperimentTrafficTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private const string TrafficExchange = "domainplatform.experiment-traffic-changed";
    private const string ConcludedExchange = "domainplatform.experiment-concluded";

    private static object Traffic(Guid experiment, string domain, string status, int phase, params (string Name, string Version, double Weight)[] arms) => new
    {
        eventId = Guid.NewGuid(), occurredAt = DateTimeOffset.UtcNow, schemaVersion = 1,
        experimentId = experiment, domain, status, phase,
        variants = arms.Select(a => new { name = a.Name, modelVersion = a.Version, weightPercent = a.Weight }).ToArray(),
    };

    private async Task PublishAsync(string exchange, object body) =>
        // The first publish waits until the service's queue is bound to the exchange.
        await Eventually.GetAsync(async () =>
        {
            try { await EventTap.PublishAsync(factory.VirtualHost.Name, exchange, body); return true; }
            catch (Xunit.Sdk.TrueException) { return false; }
        }, ok => ok, $"a queue bound to {exchange}");

    private static async Task<JsonElement> RouteAsync(HttpClient client, string domain) =>
        (await GetJsonAsync(client, "/api/deployments/route-table")).GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == domain);

    private static Task<JsonElement> WaitForRouteAsync(HttpClient client, string domain, Func<JsonElement, bool> done, string what) =>
        Eventually.GetAsync(() => RouteAsync(client, domain), done, what);

    private static IReadOnlyList<(string?, string?, double)> Variants(JsonElement route) =>
        route.GetProperty("variants").EnumerateArray()
            .Select(v => (v.GetProperty("name").GetString(), v.GetProperty("modelVersion").GetString(), v.GetProperty("weightPercent").GetDouble())).ToList();

    private async Task<(HttpClient Client, string Domain)> DomainWithThreeVersionsAsync()
    {
        var client = factory.CreateClient();
        factory.Remotes.Verdict = _ => FakeRemotes.Reply("hold", 0);
        var domain = await CreateDomainAsync(client);
        foreach (var version in new[] { "1.0.0", "1.1.0", "1.2.0" }) await RegisterOkAsync(client, domain, version);
        await DeployStableAsync(client, domain, "1.0.0");
        return (client, domain);
    }

    [Fact]
    public async Task A_running_experiment_loads_its_arms_and_takes_the_domains_route_until_it_ends()
    {
        var (client, domain) = await DomainWithThreeVersionsAsync();
        var experiment = Guid.NewGuid();
        var routeTables = await EventTap.BindAsync(factory.VirtualHost.Name, "domainplatform.route-table-changed");

        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 1, ("control", "1.0.0", 34), ("b", "1.1.0", 33), ("c", "1.2.0", 33)));
        var running = await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 3, "the experiment's arms in the route");
        Assert.Equal([("control", "1.0.0", 34.0), ("b", "1.1.0", 33), ("c", "1.2.0", 33)], Variants(running));
        Assert.Equal($"experiment-{experiment}", running.GetProperty("salt").GetString());
        Assert.Contains($"{domain}@1.1.0", factory.Remotes.Loaded);
        Assert.Contains($"{domain}@1.2.0", factory.Remotes.Loaded);

        // The gateway hears of it as a route table change, like any other traffic move.
        var published = await Eventually.GetAsync(async () => await routeTables.TakeAsync(),
            tables => tables.Any(t => t.GetProperty("domains").EnumerateArray().Any(d => d.GetProperty("domain").GetString() == domain && d.GetProperty("variants").GetArrayLength() == 3)),
            "RouteTableChanged with the arms");
        Assert.NotEmpty(published);

        // A weight change is a new phase; the phase-1 event redelivered late changes nothing.
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 2, ("control", "1.0.0", 60), ("b", "1.1.0", 20), ("c", "1.2.0", 20)));
        await WaitForRouteAsync(client, domain, r => Variants(r)[0].Item3 == 60, "phase 2's weights");
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 1, ("control", "1.0.0", 34), ("b", "1.1.0", 33), ("c", "1.2.0", 33)));
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "concluded", 2, ("control", "1.0.0", 60), ("b", "1.1.0", 20), ("c", "1.2.0", 20)));

        // Concluded: the domain is back on its stable version, and the arms nobody serves any more are unloaded.
        var back = await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 1, "the deployment route back");
        Assert.Equal([("stable", "1.0.0", 100.0)], Variants(back));
        Assert.Equal(domain, back.GetProperty("salt").GetString());
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.ToArray()),
            u => u.Contains($"{domain}@1.1.0") && u.Contains($"{domain}@1.2.0"), "the drained arms unloaded");
        Assert.DoesNotContain($"{domain}@1.0.0", factory.Remotes.Unloaded);

        var audit = await GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={experiment}");
        Assert.Equal(3, audit.EnumerateArray().Count(a => a.GetProperty("action").GetString() == "traffic"));
    }

    [Fact]
    public async Task An_emergency_rollback_pins_the_domain_to_the_control_at_once_until_deployment_moves_it()
    {
        var (client, domain) = await DomainWithThreeVersionsAsync();
        var experiment = Guid.NewGuid();
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 1, ("control", "1.1.0", 50), ("b", "1.2.0", 50)));
        await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 2, "the experiment's arms");

        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "rolled_back", 1, ("control", "1.1.0", 100), ("b", "1.2.0", 0)));
        var pinned = await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 1, "everything on the control");
        Assert.Equal([("control", "1.1.0", 100.0)], Variants(pinned));
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.ToArray()), u => u.Contains($"{domain}@1.2.0"), "the treatment unloaded");
        Assert.DoesNotContain($"{domain}@1.1.0", factory.Remotes.Unloaded);

        // The operator deploys a version: the pin is released and the experiment's late news cannot pin it again.
        await DeployStableAsync(client, domain, "1.2.0");
        Assert.Equal([("stable", "1.2.0", 100.0)], Variants(await RouteAsync(client, domain)));
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.ToArray()),
            u => u.Contains($"{domain}@1.1.0") && u.Contains($"{domain}@1.0.0"), "the control and the old stable unloaded");
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 1, ("control", "1.1.0", 50), ("b", "1.2.0", 50)));
        var other = Guid.NewGuid();
        await PublishAsync(TrafficExchange, Traffic(other, domain, "stopped", 1, ("control", "1.0.0", 50), ("b", "1.2.0", 50)));
        await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={other}"), a => a.GetArrayLength() == 1, "the later event applied");
        Assert.Equal([("stable", "1.2.0", 100.0)], Variants(await RouteAsync(client, domain)));
    }

    [Fact]
    public async Task A_stable_version_drained_while_the_arms_served_is_loaded_again_before_the_domain_gets_it_back()
    {
        var (client, domain) = await DomainWithThreeVersionsAsync();
        var experiment = Guid.NewGuid();
        var stable = $"{domain}@1.0.0";
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 1, ("control", "1.1.0", 50), ("b", "1.2.0", 50)));
        await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 2, "the experiment's arms");
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.ToArray()), u => u.Contains(stable), "the stable version drained");
        Assert.Single(factory.Remotes.Loaded, m => m == stable);

        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "stopped", 1, ("control", "1.1.0", 50), ("b", "1.2.0", 50)));
        await WaitForRouteAsync(client, domain, r => Variants(r).SequenceEqual([("stable", "1.0.0", 100.0)]), "the stable route back");
        Assert.Equal(2, factory.Remotes.Loaded.Count(m => m == stable));
    }

    [Fact]
    public async Task An_arm_whose_version_is_not_registered_or_cannot_load_moves_no_traffic_and_says_why()
    {
        var (client, domain) = await DomainWithThreeVersionsAsync();
        var unknown = Guid.NewGuid();
        await PublishAsync(TrafficExchange, Traffic(unknown, domain, "running", 1, ("control", "1.0.0", 50), ("b", "9.9.9", 50)));
        var refused = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={unknown}"), a => a.GetArrayLength() == 1, "the refusal");
        Assert.Equal("traffic-refused", refused[0].GetProperty("action").GetString());
        Assert.Contains("9.9.9", refused[0].GetProperty("after").GetProperty("reason").GetString());

        var unloadable = Guid.NewGuid();
        factory.Remotes.RefuseToLoad[$"{domain}@1.2.0"] = true;
        await PublishAsync(TrafficExchange, Traffic(unloadable, domain, "running", 1, ("control", "1.0.0", 50), ("b", "1.2.0", 50)));
        var failed = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={unloadable}"), a => a.GetArrayLength() == 1, "the load failure");
        Assert.Equal("traffic-refused", failed[0].GetProperty("action").GetString());
        Assert.Contains("LoadModel", failed[0].GetProperty("after").GetProperty("reason").GetString());

        Assert.Equal([("stable", "1.0.0", 100.0)], Variants(await RouteAsync(client, domain)));
    }

    [Fact]
    public async Task A_concluded_experiment_with_deployWinner_makes_the_winner_stable_without_unloading_a_served_arm()
    {
        var (client, domain) = await DomainWithThreeVersionsAsync();
        var experiment = Guid.NewGuid();
        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "running", 1, ("control", "1.0.0", 50), ("b", "1.1.0", 50)));
        await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 2, "the experiment's arms");

        // ExperimentConcluded may overtake the traffic change: the old stable is still the control arm then, so it stays loaded.
        await PublishAsync(ConcludedExchange, new
        {
            eventId = Guid.NewGuid(), occurredAt = DateTimeOffset.UtcNow, schemaVersion = 1, experimentId = experiment, domain,
            outcome = "winner", winnerVariant = "b", winnerModelVersion = "1.1.0", deployWinner = true, reason = "b beats control",
        });
        await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/deployments/{domain}"), d => d.GetProperty("stableVersion").GetString() == "1.1.0", "the winner stable");
        var audit = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={experiment}&action=deploy-winner"),
            a => a.GetArrayLength() == 1, "the winner's deployment audited");
        Assert.Contains("b beats control", audit[0].GetProperty("after").GetProperty("reason").GetString());
        Assert.DoesNotContain($"{domain}@1.0.0", factory.Remotes.Unloaded);

        await PublishAsync(TrafficExchange, Traffic(experiment, domain, "concluded", 1, ("control", "1.0.0", 50), ("b", "1.1.0", 50)));
        var back = await WaitForRouteAsync(client, domain, r => r.GetProperty("variants").GetArrayLength() == 1, "the stable route");
        Assert.Equal([("stable", "1.1.0", 100.0)], Variants(back));
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.ToArray()), u => u.Contains($"{domain}@1.0.0"), "the old control unloaded");
    }
}

/// <summary>Deployment with an unload grace period whose end the test chooses.</summary>
public sealed class GracefulDeploymentFactory : DeploymentFactory
{
    public ManualTimeProvider DrainClock { get; } = new();

    protected override string UnloadGracePeriod => "00:00:30";

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddKeyedSingleton<TimeProvider>(Data.ModelDrain.ClockKey, DrainClock));
    }
}

public sealed class UnloadGraceTests(GracefulDeploymentFactory factory) : IClassFixture<GracefulDeploymentFactory>
{
    [Fact]
    public async Task A_drained_version_stays_loaded_through_the_grace_period_and_is_kept_when_a_route_serves_it_again()
    {
        var client = factory.CreateClient();
        factory.Remotes.Verdict = _ => FakeRemotes.Reply("hold", 0);
        var domain = await CreateDomainAsync(client);
        foreach (var version in new[] { "1.0.0", "1.1.0" }) await RegisterOkAsync(client, domain, version);
        await DeployStableAsync(client, domain, "1.0.0");
        var treatment = $"{domain}@1.1.0";
        async Task PublishAsync(object body) => await Eventually.GetAsync(async () =>
        {
            try { await EventTap.PublishAsync(factory.VirtualHost.Name, "domainplatform.experiment-traffic-changed", body); return true; }
            catch (Xunit.Sdk.TrueException) { return false; }
        }, ok => ok, "the consumer queue bound");
        object Traffic(Guid id, string status) => new
        {
            eventId = Guid.NewGuid(), occurredAt = DateTimeOffset.UtcNow, schemaVersion = 1, experimentId = id, domain, status, phase = 1,
            variants = new[] { new { name = "control", modelVersion = "1.0.0", weightPercent = 50.0 }, new { name = "b", modelVersion = "1.1.0", weightPercent = 50.0 } },
        };
        async Task<int> ArmsAsync() => (await GetJsonAsync(client, "/api/deployments/route-table")).GetProperty("domains").EnumerateArray()
            .Single(d => d.GetProperty("domain").GetString() == domain).GetProperty("variants").GetArrayLength();

        var first = Guid.NewGuid();
        await PublishAsync(Traffic(first, "running"));
        await Eventually.GetAsync(ArmsAsync, n => n == 2, "the first experiment's arms");
        await PublishAsync(Traffic(first, "concluded"));
        await Eventually.GetAsync(ArmsAsync, n => n == 1, "the stable route back");

        // The treatment's drain waits for its grace period; meanwhile the next experiment takes it back.
        await Eventually.GetAsync(() => Task.FromResult(factory.DrainClock.Pending), n => n == 1, "the drain waiting");
        Assert.DoesNotContain(treatment, factory.Remotes.Unloaded);
        var second = Guid.NewGuid();
        await PublishAsync(Traffic(second, "running"));
        await Eventually.GetAsync(ArmsAsync, n => n == 2, "the second experiment's arms");
        factory.DrainClock.FireAll();

        await PublishAsync(Traffic(second, "stopped"));
        await Eventually.GetAsync(ArmsAsync, n => n == 1, "the stable route again");
        await Eventually.GetAsync(() => Task.FromResult(factory.DrainClock.Pending), n => n == 1, "the second drain waiting");
        Assert.DoesNotContain(treatment, factory.Remotes.Unloaded);
        factory.DrainClock.FireAll();
        await Eventually.GetAsync(() => Task.FromResult(factory.Remotes.Unloaded.ToArray()), u => u.Contains(treatment), "the treatment unloaded after the grace");
        // The first drain found the version served again and kept it: one unload in all.
        Assert.Single(factory.Remotes.Unloaded, m => m == treatment);
    }
}
