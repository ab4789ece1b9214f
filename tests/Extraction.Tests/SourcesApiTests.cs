using DomainPlatform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DomainPlatform.Extraction.Tests;

public sealed class SourcesApiTests(ExtractionFactory factory) : IClassFixture<ExtractionFactory>
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_document_gets_the_best_domain_and_the_runner_up_and_a_duplicate_name_is_refused()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var name = Unique("doc");
        var text = "Every SQL query with a join needs an index. The query planner picks the join order. The invoice table is joined too.";

        var created = await client.PostAsJsonAsync("/api/sources", new { name, kind = "document", text }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var source = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("sql-agent", source.GetProperty("domain").GetString());
        Assert.Equal("detected", source.GetProperty("domainOrigin").GetString());
        Assert.Equal("billing", source.GetProperty("runnerUp").GetString());
        Assert.True(source.GetProperty("domainScore").GetDouble() > source.GetProperty("runnerUpScore").GetDouble());

        var fetched = await client.GetFromJsonAsync<JsonElement>(created.Headers.Location, ct);
        Assert.Equal(name, fetched.GetProperty("name").GetString());
        Assert.Contains(name, await client.GetStringAsync("/api/sources?domain=sql-agent", ct));

        var duplicate = await client.PostAsJsonAsync("/api/sources", new { name, kind = "sql", query = "SELECT 1" }, ct);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("application/problem+json", duplicate.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_table_is_stored_as_rows_and_a_named_domain_skips_detection()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var rows = new[] { new { customer = "ACME", amount = 12.5, status = "paid" } };

        var created = await client.PostAsJsonAsync("/api/sources", new { name = Unique("table"), kind = "table", rows, domain = "billing" }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var source = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("billing", source.GetProperty("domain").GetString());
        Assert.Equal("manual", source.GetProperty("domainOrigin").GetString());
        Assert.Contains("ACME", source.GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_source_no_profile_matches_has_no_domain()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var created = await client.PostAsJsonAsync("/api/sources", new { name = Unique("poem"), kind = "document", text = "Roses are red, violets are blue." }, ct);
        var source = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(JsonValueKind.Null, source.GetProperty("domain").ValueKind);
    }

    [Fact]
    public async Task A_posted_profile_takes_part_in_detection()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = $"hr-{Random.Shared.Next(1000, 9999)}";
        var posted = await client.PostAsJsonAsync("/api/extraction/profiles", new { domain, keywords = new[] { "vacation", "parental leave" } }, ct);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var detected = await client.PostAsJsonAsync("/api/extraction/detect", new { text = "How much parental leave and vacation do I get?" }, ct);
        var detection = await detected.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(domain, detection.GetProperty("best").GetProperty("domain").GetString());
        Assert.Equal(2, detection.GetProperty("best").GetProperty("hits").GetInt32());
        Assert.Contains(domain, await client.GetStringAsync("/api/extraction/profiles", ct));
    }

    [Theory]
    [InlineData("/api/sources", "{\"name\":", "JSON")]
    [InlineData("/api/sources", "{\"kind\":\"document\",\"text\":\"t\"}", "name")]
    [InlineData("/api/sources", "{\"name\":\"n\",\"kind\":\"pdf\"}", "kind")]
    [InlineData("/api/sources", "{\"name\":\"n\",\"kind\":\"document\"}", "text")]
    [InlineData("/api/sources", "{\"name\":\"n\",\"kind\":\"table\",\"rows\":{\"a\":1}}", "rows")]
    [InlineData("/api/sources", "{\"name\":\"n\",\"kind\":\"table\",\"rows\":[1,2]}", "Row 0")]
    [InlineData("/api/sources", "{\"name\":\"n\",\"kind\":\"sql\"}", "query")]
    [InlineData("/api/sources", "{\"name\":\"n\",\"kind\":\"sql\",\"query\":\"SELECT 1\",\"domain\":\"bad domain!\"}", "domain")]
    [InlineData("/api/extraction/profiles", "{\"domain\":\"d\",\"keywords\":[]}", "keywords")]
    [InlineData("/api/extraction/profiles", "{\"domain\":\"d\",\"keywords\":[\"--\"]}", "keywords")]
    [InlineData("/api/extraction/profiles", "{\"keywords\":[\"a\"]}", "domain")]
    [InlineData("/api/extraction/detect", "{\"text\":\"  \"}", "text")]
    public async Task Bad_input_gets_problem_details_saying_what_was_wrong(string path, string body, string mentioned)
    {
        var failure = await ProblemAssertions.BadRequestNamingAsync(factory.CreateClient(), path, body, mentioned, TestContext.Current.CancellationToken);
        Assert.Null(failure);
    }

    [Fact]
    public async Task An_unknown_source_is_a_404_problem()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var response = await client.GetAsync($"/api/sources/{Guid.NewGuid()}", ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
