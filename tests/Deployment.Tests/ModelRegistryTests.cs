using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Protos.Deployment;
using DomainPlatform.Protos.Inference;
using Grpc.Net.Client;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

public sealed class ModelRegistryTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    [Fact]
    public async Task Versions_are_bumped_from_the_highest_and_listed_highest_first()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        Assert.Equal("1.0.0", (await RegisterOkAsync(client, domain, null)).GetProperty("version").GetString());
        Assert.Equal("1.10.0", (await RegisterOkAsync(client, domain, "1.10.0")).GetProperty("version").GetString());
        Assert.Equal("1.2.0", (await RegisterOkAsync(client, domain, "1.2.0")).GetProperty("version").GetString());
        Assert.Equal("1.11.0", (await RegisterOkAsync(client, domain, null)).GetProperty("version").GetString());

        var history = await GetJsonAsync(client, $"/api/models/{domain}/versions");
        Assert.Equal(["1.11.0", "1.10.0", "1.2.0", "1.0.0"], history.EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        var first = history.EnumerateArray().Last();
        Assert.Equal($"{domain}@1.0.0", first.GetProperty("modelId").GetString());
        Assert.Equal("run-1", first.GetProperty("lineage").GetProperty("trainingRunId").GetString());
        Assert.True(first.GetProperty("gatesPassed").GetBoolean());
    }

    [Fact]
    public async Task Bad_registrations_get_problem_details_and_write_nothing()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "2.0.0");

        await AssertProblemAsync(await RegisterAsync(client, domain, "2.0"), HttpStatusCode.BadRequest, "semantic version");
        await AssertProblemAsync(await RegisterAsync(client, domain, "02.0.1"), HttpStatusCode.BadRequest, "semantic version");
        await AssertProblemAsync(await RegisterAsync(client, domain, "2.0.0"), HttpStatusCode.Conflict, "2.0.0");
        await AssertProblemAsync(await RegisterAsync(client, domain, "2.1.0", sha256: new string('0', 64)), HttpStatusCode.BadRequest, "sha256");
        await AssertProblemAsync(await RegisterAsync(client, "0x0000-Nope", "1.0.0"), HttpStatusCode.NotFound, "0x0000-Nope");
        var missing = await client.PostAsJsonAsync($"/api/models/{domain}/versions",
            new { version = "2.2.0", artifactPath = "/nonexistent/model.gguf", artifactSha256 = new string('a', 64) }, Ct);
        await AssertProblemAsync(missing, HttpStatusCode.BadRequest, "No file");

        var history = await GetJsonAsync(client, $"/api/models/{domain}/versions");
        Assert.Equal(["2.0.0"], history.EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        var audit = await GetJsonAsync(client, "/api/audit?entityType=model-version");
        Assert.DoesNotContain(audit.EnumerateArray(), e => e.GetProperty("entityId").GetString()!.StartsWith(domain + "@2.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serving_settings_registered_with_a_version_are_how_inference_loads_it_and_a_fine_tune_inherits_them()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        var (path, sha) = Artifact();
        var registered = await client.PostAsJsonAsync($"/api/models/{domain}/versions",
            new { version = "1.0.0", artifactPath = path, artifactSha256 = sha, metrics = GoodMetrics, serving = new { contextSize = 2048, parallelSlots = 2, gpuLayers = 0 } }, Ct);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var serving = (await registered.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("serving");
        Assert.Equal((2048, 2, 0), (serving.GetProperty("contextSize").GetInt32(), serving.GetProperty("parallelSlots").GetInt32(), serving.GetProperty("gpuLayers").GetInt32()));
        // Registered without settings but from 1.0.0: served as 1.0.0 is. Registered plainly: inference's defaults, every layer offered to the GPU.
        var fineTune = await client.PostAsJsonAsync($"/api/models/{domain}/versions",
            new { version = "1.1.0", artifactPath = path, artifactSha256 = sha, metrics = GoodMetrics, baseVersion = "1.0.0" }, Ct);
        Assert.Equal(HttpStatusCode.Created, fineTune.StatusCode);
        await RegisterOkAsync(client, domain, "2.0.0");

        foreach (var version in new[] { "1.0.0", "1.1.0", "2.0.0" }) await DeployStableAsync(client, domain, version);
        LoadModelRequest LoadOf(string version) => factory.Remotes.LoadRequests.Last(r => r.ModelId == $"{domain}@{version}");
        Assert.Equal((2048, 2, 0), (LoadOf("1.0.0").ContextSize, LoadOf("1.0.0").ParallelSlots, LoadOf("1.0.0").GpuLayers));
        Assert.Equal((2048, 2, 0), (LoadOf("1.1.0").ContextSize, LoadOf("1.1.0").ParallelSlots, LoadOf("1.1.0").GpuLayers));
        Assert.Equal((4096, 4, -1), (LoadOf("2.0.0").ContextSize, LoadOf("2.0.0").ParallelSlots, LoadOf("2.0.0").GpuLayers));
        var plain = (await GetJsonAsync(client, $"/api/models/{domain}/versions/2.0.0")).GetProperty("serving");
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("contextSize").ValueKind);
    }

    [Theory]
    [InlineData("{\"contextSize\": 63, \"parallelSlots\": 4}", "serving.contextSize")]
    [InlineData("{\"contextSize\": 8388608}", "serving.contextSize")]
    [InlineData("{\"parallelSlots\": 0}", "serving.parallelSlots")]
    [InlineData("{\"parallelSlots\": 257}", "serving.parallelSlots")]
    [InlineData("{\"parallelSlots\": 512}", "serving.parallelSlots")]
    [InlineData("{\"gpuLayers\": -2}", "serving.gpuLayers")]
    public async Task Serving_settings_out_of_range_are_refused_naming_the_field(string serving, string field)
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        var (path, sha) = Artifact();
        var body = $$"""{"version": "1.0.0", "artifactPath": "{{path}}", "artifactSha256": "{{sha}}", "serving": {{serving}}}""";
        var response = await client.PostAsync($"/api/models/{domain}/versions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Empty((await GetJsonAsync(client, $"/api/models/{domain}/versions")).EnumerateArray());
    }

    [Fact]
    public async Task Gates_are_evaluated_at_registration_and_the_failures_are_named()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        var response = await RegisterAsync(client, domain, "1.0.0", new() { ["accuracy"] = 0.7, ["latency_ms"] = 900, ["training_loss"] = 0.2, ["validation_loss"] = 0.3 });
        var version = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(version.GetProperty("gatesPassed").GetBoolean());
        var report = version.GetProperty("gateReport").GetString()!;
        Assert.Contains("accuracy 0.7", report);
        Assert.Contains("latency_ms 900", report);
        Assert.DoesNotContain("training_loss", report);
    }

    [Fact]
    public async Task Aliases_tags_and_comparison()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterAsync(client, domain, "1.1.0", new() { ["accuracy"] = 0.95, ["latency_ms"] = 100 });

        var champion = await client.PutAsJsonAsync($"/api/models/{domain}/aliases/champion", new { version = "1.1.0" }, Ct);
        Assert.Equal(HttpStatusCode.OK, champion.StatusCode);
        Assert.Contains("champion", (await champion.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        await AssertProblemAsync(await client.PutAsJsonAsync($"/api/models/{domain}/aliases/stable", new { version = "1.1.0" }, Ct), HttpStatusCode.BadRequest, "follows deployments");
        await AssertProblemAsync(await client.PutAsJsonAsync($"/api/models/{domain}/aliases/champion", new { version = "9.9.9" }, Ct), HttpStatusCode.NotFound, "9.9.9");

        var tagged = await client.PutAsJsonAsync($"/api/models/{domain}/versions/1.0.0/tags", new { tags = new[] { "baseline", "q4" } }, Ct);
        Assert.Equal(["baseline", "q4"], (await tagged.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var comparison = await GetJsonAsync(client, $"/api/models/{domain}/compare?a=1.0.0&b=1.1.0");
        var accuracy = comparison.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "accuracy");
        Assert.Equal(0.04, accuracy.GetProperty("delta").GetDouble(), 6);
        var loss = comparison.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "training_loss");
        Assert.Equal(JsonValueKind.Null, loss.GetProperty("b").ValueKind);
        await AssertProblemAsync(await client.GetAsync($"/api/models/{domain}/compare?a=1.0&b=1.1.0", Ct), HttpStatusCode.BadRequest, "semantic version");
    }

    [Fact]
    public async Task Grpc_RegisterVersion_registers_and_refuses_a_wrong_sha256()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        var registry = new ModelRegistry.ModelRegistryClient(channel);
        var (path, sha) = Artifact();
        var request = new RegisterVersionRequest { Domain = domain, Bump = "major", ArtifactPath = path, ArtifactSha256 = sha, TrainingRunId = "job-7" };
        request.Metrics.Add(GoodMetrics);
        var reply = await registry.RegisterVersionAsync(request, cancellationToken: Ct);
        Assert.Equal("1.0.0", reply.Version);

        var wrong = request.Clone();
        wrong.ArtifactSha256 = new string('f', 64);
        var error = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => registry.RegisterVersionAsync(wrong, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        Assert.Single((await GetJsonAsync(client, $"/api/models/{domain}/versions")).EnumerateArray());

        // The input rule holds on gRPC too: a NUL in any string field or a metric's name is refused, naming it.
        foreach (var (hostile, field) in new (Action<RegisterVersionRequest>, string)[]
        {
            (r => r.TrainingRunId = "job\0", "trainingRunId"),
            (r => r.DatasetId = "ds\0", "datasetId"),
            (r => r.Metrics.Add("acc\0", 1), "metrics"),
        })
        {
            var bad = request.Clone();
            bad.Version = "";
            hostile(bad);
            var refused = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => registry.RegisterVersionAsync(bad, cancellationToken: Ct).ResponseAsync);
            Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
            Assert.StartsWith(field, refused.Status.Detail);
        }
        Assert.Single((await GetJsonAsync(client, $"/api/models/{domain}/versions")).EnumerateArray());
    }
}
