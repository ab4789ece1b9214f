using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Training.Tests;

/// <summary>One run of the training service on a database, files and vhost that outlive it: for restart tests.</summary>
public sealed class TrainingReplica(TestDatabase database, TrainingFiles files, TestVirtualHost virtualHost) : ServiceFactory<Program>("trainingdb", virtualHost)
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [.. files.Settings, new("ConnectionStrings:trainingdb", database.ConnectionString())];
}

/// <summary>A job's loss history as training keeps it: its points in order, matching its progress, after a restart too.</summary>
public sealed class HistoryTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private readonly TrainingFiles files = new();
    private TestVirtualHost virtualHost = null!;

    public async ValueTask InitializeAsync() => virtualHost = await TestVirtualHost.CreateAsync();

    public async ValueTask DisposeAsync()
    {
        await virtualHost.DisposeAsync();
        await database.DisposeAsync();
        files.Dispose();
    }

    private async Task<TrainingReplica> StartAsync()
    {
        var replica = new TrainingReplica(database, files, virtualHost);
        await replica.InitializeAsync();
        var client = replica.CreateClient();
        // Readiness includes the bus, so the consumer's queue is bound before an event goes out.
        await Eventually.GetAsync(() => client.GetAsync("/health"), r => r.StatusCode == HttpStatusCode.OK, "readiness");
        return replica;
    }

    /// <summary>
    /// In a method of its own: MassTransit keeps its log context in an async local, which a publish from the test's own
    /// flow would leave pointing at this replica's logger factory when the next replica starts.
    /// </summary>
    private static async Task PublishAsync(TrainingReplica replica, DatasetReady evt, CancellationToken ct) =>
        await replica.Services.GetRequiredService<IBus>().Publish(evt, ct);

    [Fact]
    public async Task A_finished_jobs_history_holds_its_progress_in_order_and_outlives_a_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        var evt = Datasets.Write(Path.Combine(files.Root, "datasets"), Datasets.Jsonl(60), "sql-agent");
        JsonElement job;
        string kept;
        await using (var first = await StartAsync())
        {
            var client = first.CreateClient();
            await PublishAsync(first, evt, ct);
            var jobs = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/training/jobs?datasetId={evt.DatasetId}", ct),
                j => j.GetArrayLength() > 0 && j[0].GetProperty("state").GetString() is "succeeded" or "failed", "the job to end");
            job = jobs[0];
            Assert.Equal("succeeded", job.GetProperty("state").GetString());

            var history = await client.GetFromJsonAsync<JsonElement>($"/api/training/jobs/{job.GetProperty("id")}/history", ct);
            Assert.Equal("succeeded", history.GetProperty("state").GetString());
            var points = history.GetProperty("points").EnumerateArray().ToList();
            // Every step the job reported is there, in order, each point no earlier than the one before.
            var totalSteps = job.GetProperty("totalSteps").GetInt32();
            Assert.Equal(Enumerable.Range(1, totalSteps), points.Select(p => p.GetProperty("step").GetInt32()).Distinct());
            Assert.True(points.Select(p => p.GetProperty("seq").GetInt32()).Zip(points.Skip(1).Select(p => p.GetProperty("seq").GetInt32()), (a, b) => a < b).All(x => x));
            Assert.True(points.Zip(points.Skip(1), (a, b) => a.GetProperty("at").GetDateTimeOffset() <= b.GetProperty("at").GetDateTimeOffset()
                && a.GetProperty("progress").GetDouble() <= b.GetProperty("progress").GetDouble()).All(x => x));
            Assert.All(points, p => Assert.True(p.GetProperty("trainingLoss").GetDouble() > 0));
            Assert.All(points, p => Assert.True(p.GetProperty("tokensPerSecond").GetDouble() > 0));
            // The last point is the job's result: the losses the job reports, at 100%.
            Assert.Equal(job.GetProperty("trainingLoss").GetDouble(), points[^1].GetProperty("trainingLoss").GetDouble());
            Assert.Equal(job.GetProperty("validationLoss").GetDouble(), points[^1].GetProperty("validationLoss").GetDouble());
            Assert.Equal(1.0, points[^1].GetProperty("progress").GetDouble());
            // The baseline evaluates once, at the end: only the last point has a validation loss.
            Assert.All(points[..^1], p => Assert.Equal(JsonValueKind.Null, p.GetProperty("validationLoss").ValueKind));

            // A view that appends asks only for what came after its last point.
            var after = await client.GetFromJsonAsync<JsonElement>($"/api/training/jobs/{job.GetProperty("id")}/history?after={points[^2].GetProperty("seq")}", ct);
            Assert.Equal([points[^1].GetProperty("seq").GetInt32()], after.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("seq").GetInt32()));
            kept = history.GetProperty("points").GetRawText();
        }

        await using var second = await StartAsync();
        var again = await second.CreateClient().GetFromJsonAsync<JsonElement>($"/api/training/jobs/{job.GetProperty("id")}/history", ct);
        Assert.Equal(kept, again.GetProperty("points").GetRawText());
    }

    [Fact]
    public async Task An_unknown_job_or_a_negative_after_is_refused_with_a_problem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var replica = await StartAsync();
        var client = replica.CreateClient();
        var missing = await client.GetAsync($"/api/training/jobs/{Guid.NewGuid()}/history", ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        var negative = await client.GetAsync($"/api/training/jobs/{Guid.NewGuid()}/history?after=-1", ct);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Contains("after", await negative.Content.ReadAsStringAsync(ct));
    }
}
