using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Route table and routing weights changing under a running gateway, through real RabbitMQ events.</summary>
public sealed class RouteChangeTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    // Tests of this class share one gateway and run in any order: each table is newer than any before it.
    private static long NextRevision() => DateTime.UtcNow.Ticks;

    private static readonly RouteVariant DocsStable = new("stable", "2.0.0", TestRoutes.Docs + "@2.0.0", 100, "inference");

    private static RouteTableChanged Table(long revision, RouteVariant[] sql, RouteVariant[] docs) => new(revision,
    [
        new DomainRoute(TestRoutes.Sql, ["sql"], ["sql", "query", "table"], TestRoutes.SqlSalt, sql),
        new DomainRoute(TestRoutes.Docs, ["docs"], ["documentation", "manual"], TestRoutes.Docs, docs),
    ]);

    private static JsonContent Chat(string model, string user, string text = "hello") =>
        JsonContent.Create(new { model, user, messages = new[] { new { role = "user", content = text } } });

    [Fact]
    public async Task A_route_table_change_under_load_applies_live_with_no_failed_request()
    {
        var client = await factory.CreateClientAsync("client");
        await Eventually.GetAsync(() => client.PostAsync("/v1/chat/completions", Chat("sql", "warmup"), Ct),
            r => r.StatusCode == HttpStatusCode.OK, "the route table to load");

        var statuses = new ConcurrentBag<HttpStatusCode>();
        var variants = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var response = await client.PostAsync("/v1/chat/completions", Chat("sql", $"load-{worker}-{i % 50}"), Ct);
                statuses.Add(response.StatusCode);
                variants.Add(Header(response, "X-Route-Variant"));
            }
        }, Ct)).ToList();

        // Promote the canary to all traffic, as the last step of a rollout does.
        var promoted = Table(NextRevision(), [new RouteVariant("stable", "1.3.0", TestRoutes.Sql + "@1.3.0", 100, "inference-canary")], [DocsStable]);
        var bus = factory.Services.GetRequiredService<IBus>();
        await Eventually.GetAsync(async () =>
        {
            await bus.Publish(promoted, Ct);
            var response = await client.PostAsync("/v1/chat/completions", Chat("sql", "probe"), Ct);
            return Header(response, "X-Route-Model-Version");
        }, v => v == "1.3.0", "the new route table to apply");
        var served = await client.PostAsync("/v1/chat/completions", Chat("sql", "after"), Ct);
        var echo = await served.Content.ReadFromJsonAsync<Dictionary<string, object>>(Ct);
        Assert.Equal("inference-canary", echo!["service"].ToString());

        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task An_older_revision_never_replaces_a_newer_one()
    {
        var client = await factory.CreateClientAsync("client");
        await Eventually.GetAsync(() => client.PostAsync("/v1/chat/completions", Chat("docs", "w"), Ct),
            r => r.StatusCode == HttpStatusCode.OK, "the route table to load");
        var bus = factory.Services.GetRequiredService<IBus>();
        var sql = new[] { new RouteVariant("stable", "1.2.0", TestRoutes.Sql + "@1.2.0", 100, "inference") };
        var newer = Table(NextRevision(), sql, [new RouteVariant("stable", "2.1.0", TestRoutes.Docs + "@2.1.0", 100, "inference")]);
        await Eventually.GetAsync(async () =>
        {
            await bus.Publish(newer, Ct);
            return Header(await client.PostAsync("/v1/chat/completions", Chat("docs", "p"), Ct), "X-Route-Model-Version");
        }, v => v == "2.1.0", "the newer revision to apply");

        var older = Table(newer.Revision - 1, sql, [new RouteVariant("stable", "1.0.0", TestRoutes.Docs + "@1.0.0", 100, "inference")]);
        await bus.Publish(older, Ct);
        // A later, newer revision arriving proves the older one was consumed (and ignored) before it.
        var latest = Table(NextRevision(), sql, [new RouteVariant("stable", "2.2.0", TestRoutes.Docs + "@2.2.0", 100, "inference")]);
        await Eventually.GetAsync(async () =>
        {
            await bus.Publish(latest, Ct);
            return Header(await client.PostAsync("/v1/chat/completions", Chat("docs", "p"), Ct), "X-Route-Model-Version");
        }, v => v == "2.2.0", "the latest revision to apply");
        Assert.Equal("2.2.0", Header(await client.PostAsync("/v1/chat/completions", Chat("docs", "q"), Ct), "X-Route-Model-Version"));
    }

    [Fact]
    public async Task Learned_routing_weights_decide_auto_when_the_prompt_names_no_keyword()
    {
        var client = await factory.CreateClientAsync("client");
        await Eventually.GetAsync(() => client.PostAsync("/v1/chat/completions", Chat("docs", "w"), Ct),
            r => r.StatusCode == HttpStatusCode.OK, "the route table to load");
        var bus = factory.Services.GetRequiredService<IBus>();
        var weights = new RoutingWeightsUpdated(new Dictionary<string, double> { [TestRoutes.Docs] = 0.9, [TestRoutes.Sql] = 0.1 });
        var response = await Eventually.GetAsync(async () =>
        {
            await bus.Publish(weights, Ct);
            return await client.PostAsync("/v1/chat/completions", Chat("auto", "w", "good morning"), Ct);
        }, r => r.StatusCode == HttpStatusCode.OK, "the weights to apply");
        Assert.Equal(TestRoutes.Docs, Header(response, "X-Route-Domain"));
    }

    [Fact]
    public async Task A_domains_own_cache_settings_from_the_route_table_turn_its_cache_off_and_on()
    {
        var client = await factory.CreateClientAsync("client");
        var bus = factory.Services.GetRequiredService<IBus>();
        var sql = new[] { new RouteVariant("stable", "1.2.0", TestRoutes.Sql + "@1.2.0", 100, "inference") };
        // Unique to this run: Redis (and its cached answers) outlives a test run.
        var prompt = $"cache me {Guid.NewGuid():N}";
        JsonContent Deterministic() => JsonContent.Create(new { model = "docs", temperature = 0, messages = new[] { new { role = "user", content = prompt } } });

        async Task ApplyAsync(string version, RouteCache cache)
        {
            var table = new RouteTableChanged(NextRevision(),
            [
                new DomainRoute(TestRoutes.Sql, ["sql"], ["sql", "query", "table"], TestRoutes.SqlSalt, sql),
                new DomainRoute(TestRoutes.Docs, ["docs"], ["documentation", "manual"], TestRoutes.Docs,
                    [new RouteVariant("stable", version, TestRoutes.Docs + "@" + version, 100, "inference")], cache),
            ]);
            await Eventually.GetAsync(async () =>
            {
                await bus.Publish(table, Ct);
                return Header(await client.PostAsync("/v1/chat/completions", Chat("docs", "probe"), Ct), "X-Route-Model-Version");
            }, v => v == version, $"docs to serve {version}");
        }

        await ApplyAsync("2.1.0", new RouteCache(Enabled: false, TtlSeconds: 600));
        var off = new[] { await client.PostAsync("/v1/chat/completions", Deterministic(), Ct), await client.PostAsync("/v1/chat/completions", Deterministic(), Ct) };
        Assert.All(off, r => Assert.Equal(("", HttpStatusCode.OK), (Header(r, "X-Cache"), r.StatusCode)));

        await ApplyAsync("2.2.0", new RouteCache(Enabled: true, TtlSeconds: 600));
        var first = await client.PostAsync("/v1/chat/completions", Deterministic(), Ct);
        var second = await client.PostAsync("/v1/chat/completions", Deterministic(), Ct);
        Assert.Equal(("MISS", "HIT"), (Header(first, "X-Cache"), Header(second, "X-Cache")));
    }
}
