using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Extraction.Tests;

public sealed class DatasetsApiTests(ExtractionFactory factory) : IClassFixture<ExtractionFactory>
{
    private static string NewDomain() => $"ds-{Guid.NewGuid():N}"[..20];

    private async Task<Guid> AddSourceAsync(HttpClient client, object source, CancellationToken ct)
    {
        var response = await client.PostAsJsonAsync("/api/sources", source, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task A_dataset_is_built_from_the_domains_sources_redacted_hashed_and_marked_ready()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = NewDomain();
        await AddSourceAsync(client, new
        {
            name = $"handbook-{domain}", kind = "document", domain,
            text = "Write to jane.doe@example.com for access. Call +49 30 1234567 if the server 10.1.2.3 is down. Then restart it.",
        }, ct);
        await AddSourceAsync(client, new { name = $"report-{domain}", kind = "sql", domain, description = "Total revenue per customer", query = "SELECT customer, sum(amount) FROM orders GROUP BY customer" }, ct);
        await AddSourceAsync(client, new { name = $"accounts-{domain}", kind = "table", domain, rows = new[] { new { owner = "Jane", iban = "DE89 3704 0044 0532 0130 00" } } }, ct);

        var accepted = await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"set-{domain}", epsilon = 0.5 }, ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!;

        var ready = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>(location, ct), d => d.GetProperty("status").GetString() is "ready" or "failed", "the dataset build");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        var path = ready.GetProperty("path").GetString()!;
        Assert.StartsWith(factory.DataDirectory, path);
        var bytes = await File.ReadAllBytesAsync(path, ct);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), ready.GetProperty("sha256").GetString());

        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ready.GetProperty("exampleCount").GetInt32(), lines.Length);
        Assert.Equal(4, lines.Length); // two sentence pairs, one query, one row
        var examples = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(examples, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("completion").GetString())));
        var all = string.Join('\n', examples.Select(e => e.GetProperty("prompt").GetString() + " " + e.GetProperty("completion").GetString()));
        Assert.DoesNotContain("jane.doe@example.com", all);
        Assert.DoesNotContain("10.1.2.3", all);
        Assert.DoesNotContain("DE89", all);
        Assert.Contains("[EMAIL]", all);
        Assert.Contains("[PHONE]", all);
        Assert.Contains("[IBAN]", all);
        Assert.Equal(4, ready.GetProperty("redactions").GetInt32());
    }

    [Fact]
    public async Task A_build_beyond_the_privacy_budget_is_refused_recorded_and_not_charged()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = NewDomain();
        var source = await AddSourceAsync(client, new { name = $"q-{domain}", kind = "sql", domain, query = "SELECT 1" }, ct);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/api/privacy/budgets/{domain}", new { totalEpsilon = 1.5 }, ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"first-{domain}", sourceIds = new[] { source }, epsilon = 1.0 }, ct)).StatusCode);
        var refused = await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"second-{domain}", epsilon = 1.0 }, ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Contains("Privacy budget exceeded", problem.GetProperty("title").GetString());
        Assert.Equal(0.5, problem.GetProperty("remainingEpsilon").GetDouble(), 9);

        var refusedRows = await client.GetFromJsonAsync<JsonElement>($"/api/datasets?domain={domain}&status=refused", ct);
        Assert.Equal($"second-{domain}", Assert.Single(refusedRows.EnumerateArray()).GetProperty("name").GetString());

        var budget = await client.GetFromJsonAsync<JsonElement>($"/api/privacy/budgets/{domain}", ct);
        Assert.Equal(1.0, budget.GetProperty("spentEpsilon").GetDouble(), 9);
        Assert.Equal(0.5, budget.GetProperty("remainingEpsilon").GetDouble(), 9);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"third-{domain}", epsilon = 0.5 }, ct)).StatusCode);
        var lowered = await client.PutAsJsonAsync($"/api/privacy/budgets/{domain}", new { totalEpsilon = 1.0 }, ct);
        Assert.Equal(HttpStatusCode.Conflict, lowered.StatusCode);
    }

    [Theory]
    [InlineData("{\"domain\":", "JSON")]
    [InlineData("{\"name\":\"n\"}", "domain")]
    [InlineData("{\"domain\":\"d\"}", "name")]
    [InlineData("{\"domain\":\"d\",\"name\":\"n\",\"epsilon\":-1}", "epsilon")]
    [InlineData("{\"domain\":\"d\",\"name\":\"n\",\"epsilon\":\"lots\"}", "epsilon")]
    [InlineData("{\"domain\":\"d\",\"name\":\"n\",\"sourceIds\":[]}", "sourceIds")]
    [InlineData("{\"domain\":\"d\",\"name\":\"n\",\"sourceIds\":[\"not-a-guid\"]}", "sourceIds")]
    public async Task Bad_input_gets_problem_details_saying_what_was_wrong(string body, string mentioned)
    {
        var failure = await ProblemAssertions.BadRequestNamingAsync(factory.CreateClient(), "/api/datasets", body, mentioned, TestContext.Current.CancellationToken);
        Assert.Null(failure);
    }

    [Fact]
    public async Task Unknown_sources_a_domain_without_sources_and_a_duplicate_name_are_problems()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = NewDomain();

        var unknown = await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"a-{domain}", sourceIds = new[] { Guid.NewGuid() } }, ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var empty = await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"b-{domain}" }, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        Assert.Equal("application/problem+json", empty.Content.Headers.ContentType?.MediaType);

        await AddSourceAsync(client, new { name = $"q-{domain}", kind = "sql", domain, query = "SELECT 2" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"c-{domain}", epsilon = 0.1 }, ct)).StatusCode);
        var duplicate = await client.PostAsJsonAsync("/api/datasets", new { domain, name = $"c-{domain}", epsilon = 0.1 }, ct);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Contains("already exists", await duplicate.Content.ReadAsStringAsync(ct));

        var missing = await client.GetAsync($"/api/datasets/{Guid.NewGuid()}", ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }
}
