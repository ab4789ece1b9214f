using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Protos.Training;
using DomainPlatform.TestSupport;
using Grpc.Core;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Training.Tests;

public sealed class JobsApiTests(TrainingFactory factory) : IClassFixture<TrainingFactory>
{
    private string DatasetFolder => Path.Combine(factory.Files.Root, "datasets");

    private async Task<JsonElement> JobForDatasetAsync(HttpClient client, Guid datasetId, CancellationToken ct)
    {
        var jobs = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/training/jobs?datasetId={datasetId}", ct),
            j => j.GetArrayLength() > 0 && j[0].GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled", "the job to end");
        return jobs[0];
    }

    private async Task PublishAsync(DatasetReady evt, CancellationToken ct)
    {
        // Readiness includes the bus, so the consumer's queue is bound before the event goes out.
        var client = factory.CreateClient();
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness before publishing");
        // Straight onto the broker, as extraction's outbox would: the job must come from the consumer.
        await factory.Services.GetRequiredService<IBus>().Publish(evt, ct);
    }

    [Fact]
    public async Task A_dataset_ready_event_queues_a_job_that_validates_and_publishes_a_baseline_result()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var evt = Datasets.Write(DatasetFolder, Datasets.Jsonl(30), "sql-agent");
        await PublishAsync(evt, ct);

        var job = await JobForDatasetAsync(client, evt.DatasetId, ct);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal("dataset-validation", job.GetProperty("trainer").GetString());
        Assert.Equal(1.0, job.GetProperty("progress").GetDouble());
        Assert.Equal(job.GetProperty("totalSteps").GetInt32(), job.GetProperty("step").GetInt32());
        Assert.True(job.GetProperty("trainingLoss").GetDouble() > 0);
        Assert.True(job.GetProperty("validationLoss").GetDouble() > 0);
        Assert.InRange(job.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Contains("no fine-tuning", job.GetProperty("message").GetString());

        var artifact = job.GetProperty("artifactPath").GetString()!;
        Assert.StartsWith(factory.Files.ArtifactDirectory, artifact);
        Assert.Equal(await File.ReadAllBytesAsync(factory.Files.BaseModelPath, ct), await File.ReadAllBytesAsync(artifact, ct));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(artifact, ct))), job.GetProperty("artifactSha256").GetString());

        Assert.Contains(evt.DatasetId.ToString(), await client.GetStringAsync("/api/training/datasets", ct));
    }

    [Theory]
    [InlineData("{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\"\n", "Line 2 is not valid JSON")]
    [InlineData("{\"prompt\":\"a\",\"completion\":\"b\"}\n[1]\n", "Line 2 is not a JSON object")]
    [InlineData("{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\",\"completion\":3}\n", "Line 2 has no string \"completion\"")]
    [InlineData("{\"prompt\":\"a\",\"completion\":\"b\"}\n", "at least 2")]
    public async Task A_malformed_dataset_fails_the_job_with_a_clear_message(string content, string message)
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var evt = Datasets.Write(DatasetFolder, content, "sql-agent");
        await PublishAsync(evt, ct);

        var job = await JobForDatasetAsync(client, evt.DatasetId, ct);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Contains(message, job.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("artifactPath").ValueKind);
    }

    [Fact]
    public async Task A_dataset_whose_sha256_does_not_match_fails_the_job()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var evt = Datasets.Write(DatasetFolder, Datasets.Jsonl(5), "sql-agent", announcedSha256: new string('0', 64));
        await PublishAsync(evt, ct);

        var job = await JobForDatasetAsync(client, evt.DatasetId, ct);
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Contains("sha256", job.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_manual_job_on_a_known_dataset_can_name_its_own_base_model_and_fails_when_it_is_missing()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var evt = Datasets.Write(DatasetFolder, Datasets.Jsonl(4), "sql-agent");
        await PublishAsync(evt, ct);
        await JobForDatasetAsync(client, evt.DatasetId, ct);

        var missingModel = Path.Combine(factory.Files.Root, "absent.gguf");
        var started = await client.PostAsJsonAsync("/api/training/jobs", new { datasetId = evt.DatasetId, epochs = 2, baseModelPath = missingModel }, ct);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!;
        var job = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>(location, ct),
            j => j.GetProperty("state").GetString() is "succeeded" or "failed", "the manual job to end");
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("epochs").GetInt32());
        Assert.Contains("does not exist", job.GetProperty("error").GetString());

        var again = await client.PostAsync($"{location}/cancel", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_grpc_api_starts_a_job_and_streams_its_progress_until_it_ends()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var evt = Datasets.Write(DatasetFolder, Datasets.Jsonl(40), "sql-agent");
        await PublishAsync(evt, ct);
        await JobForDatasetAsync(client, evt.DatasetId, ct);

        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        var grpc = new TrainingJobs.TrainingJobsClient(channel);
        var started = await grpc.StartJobAsync(new StartJobRequest { DatasetId = evt.DatasetId.ToString() }, cancellationToken: ct);
        Assert.Equal("sql-agent", started.Domain);

        var updates = new List<JobStatus>();
        using var watch = grpc.WatchJob(new GetJobRequest { JobId = started.JobId }, cancellationToken: ct);
        await foreach (var update in watch.ResponseStream.ReadAllAsync(ct)) updates.Add(update);
        Assert.NotEmpty(updates);
        Assert.Equal("succeeded", updates[^1].State);
        Assert.Equal(1.0, updates[^1].Progress);
        Assert.Equal(updates.Select(u => u.Progress).Order(), updates.Select(u => u.Progress));

        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await grpc.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }, cancellationToken: ct));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var malformed = await Assert.ThrowsAsync<RpcException>(async () => await grpc.StartJobAsync(new StartJobRequest { DatasetId = "nope" }, cancellationToken: ct));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
    }

    [Theory]
    [InlineData("{\"datasetId\":", "JSON")]
    [InlineData("{}", "datasetId")]
    [InlineData("{\"datasetId\":\"not-a-guid\"}", "datasetId")]
    [InlineData("{\"datasetId\":\"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f\",\"epochs\":0}", "epochs")]
    [InlineData("{\"datasetId\":\"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f\",\"learningRate\":5}", "learningRate")]
    [InlineData("{\"datasetId\":\"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f\",\"baseModelPath\":\"model.gguf\"}", "baseModelPath")]
    public async Task Bad_input_gets_problem_details_saying_what_was_wrong(string body, string mentioned)
    {
        var failure = await ProblemAssertions.BadRequestNamingAsync(factory.CreateClient(), "/api/training/jobs", body, mentioned, TestContext.Current.CancellationToken);
        Assert.Null(failure);
    }

    [Fact]
    public async Task Unknown_datasets_and_jobs_are_404_problems_and_a_bad_state_filter_is_400()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var responses = new[]
        {
            await client.PostAsJsonAsync("/api/training/jobs", new { datasetId = Guid.NewGuid() }, ct),
            await client.GetAsync($"/api/training/jobs/{Guid.NewGuid()}", ct),
            await client.PostAsync($"/api/training/jobs/{Guid.NewGuid()}/cancel", null, ct),
        };
        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        });
        var badFilter = await client.GetAsync("/api/training/jobs?state=sleeping", ct);
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
        Assert.Contains("state", await badFilter.Content.ReadAsStringAsync(ct));
    }
}
