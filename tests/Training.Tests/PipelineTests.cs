extern alias extraction;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Training.Tests;

/// <summary>Extraction and training side by side on one virtual host: a dataset built by one is trained by the other.</summary>
public sealed class PipelineTests : IAsyncLifetime
{
    private sealed class ExtractionOnSharedHost(TestVirtualHost vhost, string dataDirectory) : ServiceFactory<extraction::Program>("extractiondb", vhost)
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [
            new("Extraction:DataDirectory", dataDirectory),
            new("Extraction:Profiles:sql-agent:0", "sql"),
            new("Extraction:Profiles:sql-agent:1", "query"),
        ];
    }

    private sealed class TrainingOnSharedHost(TestVirtualHost vhost, TrainingFiles files) : ServiceFactory<Program>("trainingdb", vhost)
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings => files.Settings;
    }

    private readonly TrainingFiles _files = new();
    private TestVirtualHost _vhost = null!;
    private ExtractionOnSharedHost _extraction = null!;
    private TrainingOnSharedHost _training = null!;

    public async ValueTask InitializeAsync()
    {
        _vhost = await TestVirtualHost.CreateAsync();
        _extraction = new ExtractionOnSharedHost(_vhost, Path.Combine(_files.Root, "datasets"));
        _training = new TrainingOnSharedHost(_vhost, _files);
        await _extraction.InitializeAsync();
        await _training.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _extraction.DisposeAsync();
        await _training.DisposeAsync();
        await _vhost.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task A_dataset_built_by_extraction_is_trained_by_training_which_publishes_training_completed()
    {
        var ct = TestContext.Current.CancellationToken;
        var extraction = _extraction.CreateClient();
        var training = _training.CreateClient();

        // Both buses must be ready (queues bound) before the first event goes out.
        await Eventually.GetAsync(() => extraction.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "extraction readiness");
        await Eventually.GetAsync(() => training.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "training readiness");

        // Observe TrainingCompleted on the broker the way deployment will, through a queue of our own.
        var completed = new TaskCompletionSource<TrainingCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = _training.Services.GetRequiredService<IBus>();
        var probe = bus.ConnectReceiveEndpoint($"probe-{Guid.NewGuid():N}", e => e.Handler<TrainingCompleted>(c =>
        {
            completed.TrySetResult(c.Message);
            return Task.CompletedTask;
        }));
        await probe.Ready.WaitAsync(TimeSpan.FromSeconds(60), ct);

        foreach (var i in Enumerable.Range(0, 6))
        {
            var text = $"Query {i}: the SQL query joins orders and customers. Ask admin{i}@example.com about the query plan. It runs nightly.";
            var source = await extraction.PostAsJsonAsync("/api/sources", new { name = $"doc-{i}", kind = "document", text }, ct);
            Assert.Equal(HttpStatusCode.Created, source.StatusCode);
        }
        var accepted = await extraction.PostAsJsonAsync("/api/datasets", new { domain = "sql-agent", name = "nightly", epsilon = 1.0 }, ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var datasetId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();

        var jobs = await Eventually.GetAsync(() => training.GetFromJsonAsync<JsonElement>($"/api/training/jobs?datasetId={datasetId}", ct),
            j => j.GetArrayLength() == 1 && j[0].GetProperty("state").GetString() is "succeeded" or "failed", "the training job of the extracted dataset");
        var job = jobs[0];
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal("sql-agent", job.GetProperty("domain").GetString());

        var evt = await completed.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Equal(job.GetProperty("id").GetGuid(), evt.JobId);
        Assert.Equal(datasetId, evt.DatasetId);
        Assert.True(evt.Succeeded);
        Assert.Null(evt.Error);
        Assert.Equal(job.GetProperty("artifactSha256").GetString(), evt.ArtifactSha256);
        Assert.Equal(job.GetProperty("validationLoss").GetDouble(), evt.Metrics!.ValidationLoss);
        await probe.StopAsync(ct);
    }
}
