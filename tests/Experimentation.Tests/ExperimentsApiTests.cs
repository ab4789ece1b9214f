using DomainPlatform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DomainPlatform.Experimentation.Tests;

public sealed class ExperimentsApiTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    internal static string NewDomain() => $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-{Guid.NewGuid():N}"[..20];

    internal static async Task<JsonElement> CreateAsync(HttpClient client, object body, CancellationToken ct)
    {
        var response = await client.PostAsJsonAsync("/api/experiments", body, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    [Fact]
    public async Task Experiment_runs_through_start_weight_change_and_emergency_rollback_with_phases_and_history()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = NewDomain();
        var created = await CreateAsync(client, new
        {
            name = "abc", domain, primaryMetric = "accuracy",
            variants = new[] { new { name = "control", modelVersion = "1.2.0", weight = 50 }, new { name = "b", modelVersion = "1.3.0", weight = 25 }, new { name = "c", modelVersion = "1.3.1", weight = 25 } },
            guardrailMetrics = new[] { new { metric = "latency_ms", maxRelativeDegradation = 0.2 } },
        }, ct);
        var id = created.GetProperty("id").GetString();
        Assert.Equal("draft", created.GetProperty("status").GetString());

        var started = await client.PostAsync($"/api/experiments/{id}/start", null, ct);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var again = await client.PostAsync($"/api/experiments/{id}/start", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);

        var reweighted = await client.PutAsJsonAsync($"/api/experiments/{id}/weights", new { weights = new { control = 80, b = 10, c = 10 }, reason = "ramp down" }, ct);
        Assert.Equal(HttpStatusCode.OK, reweighted.StatusCode);
        var status = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/status", ct);
        Assert.Equal(2, status.GetProperty("phase").GetInt32());
        Assert.Equal(80, status.GetProperty("variants")[0].GetProperty("weight").GetDouble());

        var badWeights = await client.PutAsJsonAsync($"/api/experiments/{id}/weights", new { weights = new { control = 80, zzz = 20 } }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, badWeights.StatusCode);
        Assert.Contains("zzz", await badWeights.Content.ReadAsStringAsync(ct));

        var rolledBack = await client.PostAsJsonAsync($"/api/experiments/{id}/rollback", new { reason = "pager went off" }, ct);
        Assert.Equal(HttpStatusCode.OK, rolledBack.StatusCode);
        var view = await rolledBack.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("rolled_back", view.GetProperty("status").GetString());
        Assert.Equal([100.0, 0, 0], view.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("weight").GetDouble()));

        var history = await client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}/history", ct);
        Assert.Equal(["created", "started", "weights-changed", "rolled-back"], history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        var phases = history.GetProperty("phases").EnumerateArray().ToArray();
        Assert.Equal(3, phases.Length);
        Assert.All(phases, p => Assert.NotEqual(JsonValueKind.Null, p.GetProperty("endedAt").ValueKind));

        var stopAfter = await client.PostAsync($"/api/experiments/{id}/stop", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, stopAfter.StatusCode);
    }

    [Fact]
    public async Task Only_one_experiment_runs_per_domain_and_a_stopped_one_frees_it()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = NewDomain();
        object Body() => new { name = "x", domain, variants = new[] { new { name = "control", modelVersion = "1" }, new { name = "t", modelVersion = "2" } } };
        var first = (await CreateAsync(client, Body(), ct)).GetProperty("id").GetString();
        var second = (await CreateAsync(client, Body(), ct)).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{first}/start", null, ct)).StatusCode);
        var clash = await client.PostAsync($"/api/experiments/{second}/start", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
        Assert.Contains("already running", await clash.Content.ReadAsStringAsync(ct));

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{first}/stop", null, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{second}/start", null, ct)).StatusCode);
        var listed = await client.GetFromJsonAsync<JsonElement>($"/api/experiments?domain={domain}&status=running", ct);
        Assert.Equal(second, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"name\":", "JSON")]
    [InlineData("{\"name\":\"n\",\"domain\":\"d\",\"variants\":[{\"name\":\"a\",\"modelVersion\":\"1\"}]}", "variants")]
    [InlineData("{\"name\":\"n\",\"domain\":\"d\",\"alpha\":\"high\"}", "alpha")]
    [InlineData("{\"name\":\"n\",\"domain\":\"d\",\"analysisMethod\":\"magic\",\"variants\":[{\"name\":\"a\",\"modelVersion\":\"1\"},{\"name\":\"b\",\"modelVersion\":\"2\"}]}", "analysisMethod")]
    public async Task Bad_input_gets_problem_details_saying_what_was_wrong(string body, string mentioned)
    {
        var failure = await ProblemAssertions.BadRequestNamingAsync(factory.CreateClient(), "/api/experiments", body, mentioned, TestContext.Current.CancellationToken);
        Assert.Null(failure);
    }

    [Fact]
    public async Task Unknown_experiment_is_a_404_problem()
    {
        var client = factory.CreateClient();
        var response = await client.PostAsync($"/api/experiments/{Guid.NewGuid()}/start", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
