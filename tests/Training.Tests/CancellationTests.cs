using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using DomainPlatform.Training.Jobs;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Training.Tests;

/// <summary>
/// A trainer that keeps reporting progress until it is cancelled, so a job stays running as long as a test needs. Its
/// validation loss is NaN, as llama.cpp's mean loss over no batch yet is: the job must still read as JSON.
/// </summary>
public sealed class UntilCancelledTrainer : ITrainer
{
    public string Name => "until-cancelled";

    public async Task<TrainingResult> TrainAsync(TrainingRequest request, Func<TrainingProgress, CancellationToken, Task> report, CancellationToken ct)
    {
        for (var step = 1; ; step = step % 100 + 1)
        {
            await report(new TrainingProgress(1, 1, step, 100, 1.0, double.NaN, "waiting to be cancelled"), ct);
            await Task.Delay(50, ct);
        }
    }
}

public sealed class UntilCancelledTrainingFactory() : ServiceFactory<Program>("trainingdb")
{
    public TrainingFiles Files { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings => Files.Settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<ITrainer, UntilCancelledTrainer>());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Files.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class CancellationTests(UntilCancelledTrainingFactory factory) : IClassFixture<UntilCancelledTrainingFactory>
{
    [Fact]
    public async Task A_queued_job_is_cancelled_at_once_and_a_running_one_stops_both_publishing_training_completed()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness");

        var completed = new ConcurrentBag<TrainingCompleted>();
        var bus = factory.Services.GetRequiredService<IBus>();
        var probe = bus.ConnectReceiveEndpoint($"probe-{Guid.NewGuid():N}", e => e.Handler<TrainingCompleted>(c =>
        {
            completed.Add(c.Message);
            return Task.CompletedTask;
        }));
        await probe.Ready.WaitAsync(TimeSpan.FromSeconds(60), ct);

        var folder = Path.Combine(factory.Files.Root, "datasets");
        await bus.Publish(Datasets.Write(folder, Datasets.Jsonl(5), "sql-agent"), ct);
        await bus.Publish(Datasets.Write(folder, Datasets.Jsonl(5), "sql-agent"), ct);

        var jobs = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>("/api/training/jobs", ct),
            j => j.GetArrayLength() == 2 && j.EnumerateArray().Any(x => x.GetProperty("state").GetString() == "running" && x.GetProperty("step").GetInt32() > 0),
            "one job running and reporting, one queued behind it");
        var running = jobs.EnumerateArray().Single(x => x.GetProperty("state").GetString() == "running").GetProperty("id").GetGuid();
        // A loss that is not a number yet is no loss: null, not a 500 for a JSON without NaN.
        var reading = await client.GetFromJsonAsync<JsonElement>($"/api/training/jobs/{running}", ct);
        Assert.Equal(JsonValueKind.Null, reading.GetProperty("validationLoss").ValueKind);
        Assert.Equal(1.0, reading.GetProperty("trainingLoss").GetDouble());
        var queued = jobs.EnumerateArray().Single(x => x.GetProperty("state").GetString() == "queued").GetProperty("id").GetGuid();

        var cancelQueued = await client.PostAsync($"/api/training/jobs/{queued}/cancel", null, ct);
        Assert.Equal(HttpStatusCode.OK, cancelQueued.StatusCode);
        Assert.Equal("cancelled", (await cancelQueued.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("state").GetString());

        var cancelRunning = await client.PostAsync($"/api/training/jobs/{running}/cancel", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, cancelRunning.StatusCode);
        var stopped = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/training/jobs/{running}", ct),
            j => j.GetProperty("state").GetString() != "running", "the running job to stop");
        Assert.Equal("cancelled", stopped.GetProperty("state").GetString());
        Assert.Equal("cancelled while running", stopped.GetProperty("error").GetString());

        await Eventually.GetAsync(() => Task.FromResult(completed.Count), n => n >= 2, "TrainingCompleted for both jobs");
        Assert.Equal(new[] { queued, running }.Order(), completed.Select(e => e.JobId).Order());
        Assert.All(completed, e => Assert.False(e.Succeeded));
        await probe.StopAsync(ct);
    }
}
