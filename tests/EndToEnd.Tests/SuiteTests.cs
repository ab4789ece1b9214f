using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

[Collection(PlatformCollection.Name)]
public sealed class SuiteTests(PlatformFixture platform)
{
    public static TheoryData<string, string> ServiceEndpoints => new()
    {
        { "deployment", "/api/domains" },
        { "experimentation", "/api/experiments" },
        { "extraction", "/api/sources" },
        { "training", "/api/training/jobs" },
        { "inference", "/v1/models" },
    };

    [Theory]
    [MemberData(nameof(ServiceEndpoints))]
    public async Task Each_service_answers_through_the_gateway(string service, string path)
    {
        using var client = platform.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var response = await client.GetAsync(path, ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{service} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");

        var openApi = await client.GetAsync($"/openapi/{service}/v1.json", ct);
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        Assert.Contains(path.Split('/')[^1], await openApi.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public void Every_service_runs_with_the_settings_the_fixture_gives_it()
    {
        foreach (var service in new[] { "gateway", "deployment", "experimentation", "extraction", "training", "inference" })
        {
            var environment = platform.EnvironmentOf(service);
            foreach (var (name, value) in PlatformFixture.ServiceSettings)
            {
                Assert.True(environment.TryGetValue(name, out var actual) && actual == value, $"{service}: {name} is '{actual}', expected '{value}'");
            }
        }
    }

    [Fact]
    public async Task A_service_stopped_gracefully_and_started_again_answers_through_the_gateway()
    {
        var ct = TestContext.Current.CancellationToken;
        var restart = await platform.RestartAsync("extraction", kill: false, ct);
        Assert.NotEqual(restart.OldPid, restart.NewPid);
        // A graceful stop: the service shut down on the orchestrator's signal and exited cleanly, unlike a kill.
        Assert.Equal(0, restart.ExitCode);
        using var client = platform.CreateClient();
        var response = await client.GetAsync("/api/sources", ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/api/sources after the restart: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    [Fact]
    public async Task The_gateway_lists_every_openapi_document_its_own_included()
    {
        using var client = platform.CreateClient();
        var listing = await client.GetStringAsync("/api/openapi", TestContext.Current.CancellationToken);
        foreach (var service in new[] { "gateway", "deployment", "experimentation", "extraction", "training", "inference" })
        {
            Assert.Contains(service, listing);
        }
    }

    [Fact]
    public async Task A_dataset_built_by_extraction_reaches_training_as_an_event()
    {
        using var client = platform.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = "0x" + Random.Shared.Next(0x1000, 0xFFFF).ToString("x4") + "-SQLAgent";

        var source = await client.PostAsJsonAsync("/api/sources", new
        {
            name = $"orders-{domain}",
            kind = "document",
            text = "SELECT customer_id, SUM(total) FROM orders GROUP BY customer_id; contact ops@example.com for the orders table.",
            domain,
        }, ct);
        Assert.True(source.IsSuccessStatusCode, await source.Content.ReadAsStringAsync(ct));

        var dataset = await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"set-{domain}" }, ct);
        Assert.True(dataset.IsSuccessStatusCode, await dataset.Content.ReadAsStringAsync(ct));
        var datasetId = (await dataset.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString();

        var jobs = await Eventually.GetAsync(
            () => client.GetStringAsync("/api/training/jobs", ct),
            body => body.Contains(datasetId!, StringComparison.OrdinalIgnoreCase),
            $"a training job for dataset {datasetId}");
        Assert.Contains(domain, jobs);
    }
}
