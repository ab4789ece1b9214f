using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>A second instance of the service on the same database and virtual host, as after a restart.</summary>
public sealed class RestartedFactory(ExperimentationFactory original) : ServiceFactory<Program>("experimentationdb")
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("ConnectionStrings:experimentationdb", original.Database.ConnectionString("127.0.0.1", original.PostgresProxy.Port)),
        new("ConnectionStrings:eventbus", original.VirtualHost.AmqpUri),
    ];
}

public sealed class IngestionTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    internal static InferenceCompleted Inference(string domain, string variant, string version, double latency, bool ok = true, string? requestId = null) =>
        new(requestId ?? Guid.NewGuid().ToString("N"), domain, variant, version, latency, latency / 4, 20, 40, ok ? 200 : 500, ok, false, "hash", null);

    internal static async Task<JsonElement> WaitForMetricAsync(HttpClient client, string url, string variantOrVersion, string metric, long count, CancellationToken ct) =>
        await Eventually.GetAsync(async () =>
        {
            var body = await client.GetFromJsonAsync<JsonElement>(url, ct);
            var rows = body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("metrics");
            return rows.EnumerateArray().FirstOrDefault(r => r.GetProperty("metric").GetString() == metric &&
                (r.GetProperty("variant").GetString() == variantOrVersion || r.GetProperty("modelVersion").GetString() == variantOrVersion));
        }, r => r.ValueKind == JsonValueKind.Object && r.GetProperty("count").GetInt64() >= count, $"{metric} of {variantOrVersion} to reach {count}");

    [Fact]
    public async Task Outcomes_and_feedback_count_for_the_variant_that_served_each_request()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "ingest", domain,
            variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "fast", modelVersion = "1.1.0" } },
        }, ct)).GetProperty("id").GetString();
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var served = new List<InferenceCompleted>
        {
            Inference(domain, "control", "1.0.0", 100), Inference(domain, "control", "1.0.0", 300), Inference(domain, "control", "1.0.0", 0, ok: false),
            Inference(domain, "fast", "1.1.0", 50), Inference(domain, "fast", "1.1.0", 70),
        };
        foreach (var evt in served) await broker.PublishAsync(evt);
        // Feedback names only the request: the join finds the arm.
        await broker.PublishAsync(new FeedbackReceived(served[3].RequestId, null, null, null, true, null));
        await broker.PublishAsync(new FeedbackReceived(served[4].RequestId, null, null, 0.2, null, null));
        await broker.PublishAsync(new FeedbackReceived(served[0].RequestId, null, null, 0.9, null, null));

        var url = $"/api/experiments/{id}/metrics";
        var fastAccuracy = await WaitForMetricAsync(client, url, "fast", "accuracy", 2, ct);
        Assert.Equal(1, fastAccuracy.GetProperty("successes").GetInt64());
        var fastScore = await WaitForMetricAsync(client, url, "fast", "feedback_score", 2, ct);
        Assert.Equal(0.6, fastScore.GetProperty("mean").GetDouble(), 9);
        var controlErrors = await WaitForMetricAsync(client, url, "control", "error_rate", 3, ct);
        Assert.Equal(1, controlErrors.GetProperty("successes").GetInt64());
        var controlLatency = await WaitForMetricAsync(client, url, "control", "latency_ms", 2, ct);
        Assert.Equal(200, controlLatency.GetProperty("mean").GetDouble(), 9);
        Assert.Equal(Math.Sqrt(20000), controlLatency.GetProperty("standardDeviation").GetDouble(), 6);

        // The same outcomes also count by model version for the domain, experiment or not.
        var byVersion = await WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.1.0", "latency_ms", 2, ct);
        Assert.Equal(60, byVersion.GetProperty("mean").GetDouble(), 9);
    }

    [Fact]
    public async Task Traffic_on_the_deployment_route_during_an_experiment_is_not_counted_for_the_arm_with_its_version()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "split not there yet", domain,
            variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "b", modelVersion = "1.1.0" } },
        }, ct)).GetProperty("id").GetString();
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);

        // The gateway still routes by the deployment's table: the stable version serves as "stable".
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        for (var i = 0; i < 5; i++) await broker.PublishAsync(Inference(domain, "stable", "1.0.0", 100));
        await broker.PublishAsync(Inference(domain, "control", "1.0.0", 100));
        await broker.PublishAsync(Inference(domain, "b", "1.1.0", 100));

        await WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.0.0", "error_rate", 6, ct);
        await WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.1.0", "error_rate", 1, ct);
        var metrics = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/metrics", ct);
        var assigned = metrics.GetProperty("metrics").EnumerateArray().Where(r => r.GetProperty("metric").GetString() == "error_rate")
            .ToDictionary(r => r.GetProperty("variant").GetString()!, r => r.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["control"] = 1, ["b"] = 1 }, assigned);
    }

    [Fact]
    public async Task A_clients_own_mistake_counts_in_no_metric_of_the_variant()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        using var consumed = ConsumedEvents.Observe(factory.Services);
        // Two parameters inference refused (the gateway marks them), then two served requests.
        InferenceCompleted[] events =
        [
            Inference(domain, "stable", "1.0.0", 3, ok: false) with { StatusCode = 400, ClientError = true },
            Inference(domain, "stable", "1.0.0", 3, ok: false) with { StatusCode = 400, ClientError = true },
            Inference(domain, "stable", "1.0.0", 100),
            Inference(domain, "stable", "1.0.0", 120),
        ];
        foreach (var evt in events) await broker.PublishAsync(evt);
        await consumed.WaitForAsync("the four events consumed", [.. events.Select(e => e.EventId)]);

        var errors = await WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.0.0", "error_rate", 2, ct);
        Assert.Equal((2, 0), (errors.GetProperty("count").GetInt64(), errors.GetProperty("successes").GetInt64()));
    }

    [Fact]
    public async Task A_redelivered_event_counts_once()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        using var consumed = ConsumedEvents.Observe(factory.Services);

        var once = Inference(domain, "stable", "2.0.0", 120);
        var other = Inference(domain, "stable", "2.0.0", 80);
        await broker.PublishAsync(once);
        await broker.PublishAsync(once);
        await broker.PublishAsync(other);

        // All three deliveries consumed to the end before we count.
        await consumed.WaitForAsync("both copies and the other event consumed", once.EventId, once.EventId, other.EventId);
        var errors = await WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "2.0.0", "error_rate", 2, ct);
        Assert.Equal(2, errors.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task A_redelivery_after_a_consumer_restart_counts_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = new ExperimentationFactory();
        await first.InitializeAsync();
        var domain = ExperimentsApiTests.NewDomain();
        var evt = Inference(domain, "stable", "3.0.0", 90);
        using var broker = new BrokerPublisher(first.VirtualHost.Name);

        var firstClient = first.CreateClient();
        await broker.PublishAsync(evt);
        await WaitForMetricAsync(firstClient, $"/api/metrics?domain={domain}", "3.0.0", "error_rate", 1, ct);
        await first.Services.GetRequiredService<IBusControl>().StopAsync(ct);

        await using var second = new RestartedFactory(first);
        await second.InitializeAsync();
        using var consumed = ConsumedEvents.Observe(second.Services);
        var secondClient = second.CreateClient();
        var other = Inference(domain, "stable", "3.0.0", 110);
        await broker.PublishAsync(evt);
        await broker.PublishAsync(other);
        // The restarted service consumed the copy (and the other event) to the end before we count.
        await consumed.WaitForAsync("the copy and the other event consumed after the restart", evt.EventId, other.EventId);
        var errors = await WaitForMetricAsync(secondClient, $"/api/metrics?domain={domain}", "3.0.0", "error_rate", 2, ct);
        Assert.Equal(2, errors.GetProperty("count").GetInt64());
        var latency = await WaitForMetricAsync(secondClient, $"/api/metrics?domain={domain}", "3.0.0", "latency_ms", 2, ct);
        Assert.Equal(100, latency.GetProperty("mean").GetDouble(), 9);
    }
}
