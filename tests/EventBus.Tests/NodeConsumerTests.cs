using System.Text.Json;
using DomainPlatform.Contracts;
using DomainPlatform.Persistence;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DomainPlatform.EventBus.Tests;

/// <summary>
/// The events as another team meets them: a Node.js consumer (amqplib) binds its own queues to the exchanges the docs
/// name and validates every body it gets against the JSON Schemas published in docs/events/schemas (ajv).
/// </summary>
public sealed class NodeConsumerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_consumer_receives_every_event_from_the_outbox_and_each_body_matches_its_published_schema()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = new TestDatabase();
        await using var vhost = await TestVirtualHost.CreateAsync();
        var builder = TestServiceHost.Builder(database.ConnectionString(), vhost.AmqpUri);
        builder.AddEventBus("node-consumer-test");
        using var host = await TestServiceHost.StartReadyAsync(builder, ct);

        var node = new NodeScripts(Path.Combine(TestInfrastructure.RepositoryRoot, "tests", "EventBus.Tests", "node-consumer"));
        await node.EnsureInstalledAsync("amqplib", ct);
        var schemas = Path.Combine(TestInfrastructure.RepositoryRoot, "docs", "events", "schemas");
        const string prefix = "node-consumer.";
        var consumer = node.RunAsync("node", ["consume.mjs", vhost.AmqpUri, schemas, prefix], ct);
        // The consumer has bound a queue to every exchange (they exist before anything is published) before events go out.
        await Eventually.GetAsync(async () => consumer.IsCompleted ? -1 : (await vhost.QueuesAsync()).Count(q => q.StartsWith(prefix, StringComparison.Ordinal)),
            n => n < 0 || n == EventCatalog.All.Count(), "the node consumer's queues to be bound");

        // Every event, through the real path: the outbox in a transaction, then the dispatcher.
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Outbox.AddManyAsync(connection, tx, [.. EventCatalog.All.Select(t => EventCatalog.Example(t) with { EventId = Guid.CreateVersion7() })], ct);
            await tx.CommitAsync(ct);
        }
        host.Services.GetRequiredService<OutboxSignal>().Notify();

        var (exitCode, stdout, stderr) = await consumer;
        output.WriteLine(stdout);
        Assert.True(exitCode == 0, $"the node consumer exited {exitCode}: {stdout}\n{stderr}");
        using var report = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
        Assert.Empty(report.RootElement.GetProperty("invalid").EnumerateArray());
        Assert.All(EventCatalog.All, type => Assert.True(report.RootElement.GetProperty("received").TryGetProperty(EventCatalog.NameOf(type), out _),
            $"{EventCatalog.NameOf(type)} was not received"));
        await host.StopAsync(ct);
    }
}
