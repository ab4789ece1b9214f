using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Console.Live;
using DomainPlatform.Contracts;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Console.Tests;

/// <summary>The console against the real RabbitMQ (a vhost of its own); it has no database, the factory's is never used.</summary>
public class ConsoleFactory() : ServiceFactory<Program>("consoledb");

/// <summary>What one subscribed page was told, and which changes its test was asked about.</summary>
internal sealed class PageProbe
{
    private readonly Lock gate = new();
    private readonly List<ConsoleChange> seen = [];
    private int fired;

    public PageProbe(LiveChanges live, Func<ConsoleChange, bool> shows) =>
        Subscription = live.Subscribe(c =>
        {
            lock (gate) seen.Add(c);
            return shows(c);
        }, () => Interlocked.Increment(ref fired));

    public IDisposable Subscription { get; }

    public int Fired => Volatile.Read(ref fired);

    public bool Saw(Func<ConsoleChange, bool> match)
    {
        lock (gate) return seen.Any(match);
    }
}

public sealed class LiveEventsTests(ConsoleFactory factory) : IClassFixture<ConsoleFactory>
{
    internal static async Task WaitForSubscriptionAsync(HttpClient client)
    {
        // The bus's health check is Healthy once the console's queue consumes (Degraded before: the console serves anyway).
        await Eventually.GetAsync(async () => await client.GetFromJsonAsync<JsonElement>("/health"),
            h => h.GetProperty("status").GetString() == "Healthy", "the console's event subscription");
    }

    [Fact]
    public async Task A_published_event_reaches_the_pages_that_show_what_it_changed_and_no_others()
    {
        var ct = TestContext.Current.CancellationToken;
        await WaitForSubscriptionAsync(factory.CreateClient());
        var live = factory.Services.GetRequiredService<LiveChanges>();
        var bus = factory.Services.GetRequiredService<IBus>();
        var (jobA, jobB, rollout, experiment) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var domain = TestInfrastructure.UniqueName("d");

        var trainingA = new PageProbe(live, c => PageInterest.Training(c, jobA.ToString(), new Dictionary<string, string>()));
        // Shows job B, and lists job A as running already.
        var trainingB = new PageProbe(live, c => PageInterest.Training(c, jobB.ToString(), new Dictionary<string, string> { [jobA.ToString()] = "running" }));
        var rollouts = new PageProbe(live, PageInterest.Rollouts);
        var experiments = new PageProbe(live, PageInterest.Experiments);
        var overview = new PageProbe(live, PageInterest.Default);
        // Subscribed last, so told last: once it has an event's change, every page above has been asked about it.
        var witness = new PageProbe(live, _ => true);
        PageProbe[] pages = [trainingA, trainingB, rollouts, experiments, overview];

        async Task<int[]> FiredByAsync(IntegrationEvent evt, Func<ConsoleChange, bool> itsChange)
        {
            var before = pages.Select(p => p.Fired).ToArray();
            await bus.Publish(evt, evt.GetType(), ct);
            await Eventually.GetAsync(() => Task.FromResult(witness.Saw(itsChange)), seen => seen, $"{evt.GetType().Name} to reach the console");
            var fired = pages.Select((p, i) => p.Fired - before[i]).ToArray();
            return fired;
        }

        // Progress of job A: only the page that shows job A.
        Assert.Equal(new[] { 1, 0, 0, 0, 0 }, await FiredByAsync(new TrainingProgressed(jobA, domain, 1, 1, 3, 10, 0.3, 2.5, null, 900, "batch 3/10"), c => c.Id == jobA.ToString()));
        // A canary verdict: the rollout pages and the overview.
        Assert.Equal(new[] { 0, 0, 1, 0, 1 }, await FiredByAsync(new CanaryVerdict(rollout, domain, "1.0.0", "1.1.0", "continue", "within thresholds"), c => c.Id == rollout.ToString()));
        // An experiment's traffic: the experiment pages and the overview.
        Assert.Equal(new[] { 0, 0, 0, 1, 1 }, await FiredByAsync(new ExperimentTrafficChanged(experiment, domain, "running", 2, []), c => c.Area == ChangeArea.Experiment));
        // A guardrail alert about the experiment: rollouts (alerts roll back), experiments and the overview; no training page.
        Assert.Equal(new[] { 0, 0, 1, 1, 1 }, await FiredByAsync(new AlertRaised(Guid.CreateVersion7(), "CRITICAL", domain, experiment, "guardrail", 0.2, 0.1, "guardrail breached"), c => c.Area == ChangeArea.Alert));
        // Job B finished: every training page (the list changes) and the overview.
        Assert.Equal(new[] { 1, 1, 0, 0, 1 }, await FiredByAsync(new TrainingCompleted(jobB, domain, Guid.CreateVersion7(), true, null, null, null, null, null, null), c => c.Id == jobB.ToString()));

        foreach (var page in pages.Append(witness)) page.Subscription.Dispose();
        // A page that was left is told nothing more.
        var left = trainingA.Fired;
        var after = new PageProbe(live, _ => true);
        await bus.Publish(new TrainingProgressed(jobA, domain, 1, 1, 4, 10, 0.4, 2.4, null, 900, "batch 4/10"), ct);
        await Eventually.GetAsync(() => Task.FromResult(after.Saw(c => c.Id == jobA.ToString())), seen => seen, "the next report");
        Assert.Equal(left, trainingA.Fired);
        after.Subscription.Dispose();
    }
}

/// <summary>The console whose RabbitMQ is away at its start (a cut proxy in front of it), then comes back.</summary>
public sealed class BrokerAwayFactory : ConsoleFactory
{
    public TcpProxy Broker { get; } = CutBroker();

    private static TcpProxy CutBroker()
    {
        var amqp = new Uri(TestInfrastructure.RabbitMq);
        var proxy = new TcpProxy(amqp.Host, amqp.Port);
        proxy.Stop();
        return proxy;
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings
    {
        get
        {
            var amqp = new UriBuilder(VirtualHost.AmqpUri) { Host = "127.0.0.1", Port = Broker.Port };
            return [new("ConnectionStrings:eventbus", amqp.Uri.ToString())];
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Broker.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class BrokerAwayTests(BrokerAwayFactory factory) : IClassFixture<BrokerAwayFactory>
{
    [Fact]
    public async Task The_console_starts_and_serves_pages_while_rabbitmq_is_away_and_every_page_reads_again_when_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var live = factory.Services.GetRequiredService<LiveChanges>();
        var page = new PageProbe(live, PageInterest.Extraction);

        using (var signIn = await client.GetAsync("/console/signin", ct))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            Assert.Contains("api-key", await signIn.Content.ReadAsStringAsync(ct));
        }
        // Ready for traffic, with the subscription reported Degraded rather than failing the console.
        var health = await client.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", (await health.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString());

        // Back: the subscription resumes and tells every page to read what it missed, then events flow again.
        factory.Broker.Start();
        // Nothing is published yet: only the subscription's resumption tells the extraction page anything.
        await Eventually.GetAsync(() => Task.FromResult(page.Fired > 0), told => told, "the subscription to resume", TimeSpan.FromMinutes(2));
        // Each event's queue resumes on its own: once all consume the bus is Healthy, and nothing published is missed.
        await LiveEventsTests.WaitForSubscriptionAsync(client);
        var dataset = Guid.CreateVersion7();
        await factory.Services.GetRequiredService<IBus>().Publish(new DatasetReady(dataset, "d", "set", 1, "/x.jsonl", new string('a', 64), null), ct);
        await Eventually.GetAsync(() => Task.FromResult(page.Saw(c => c.Id == dataset.ToString())), seen => seen, "an event after the broker came back");
        page.Subscription.Dispose();
    }
}
