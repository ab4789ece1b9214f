using DomainPlatform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace DomainPlatform.Deployment.Tests;

public sealed class DomainsApiTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    [Fact]
    public async Task Created_domain_is_listed_and_a_duplicate_is_refused()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var id = $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-SQLAgent";

        var created = await client.PostAsJsonAsync("/api/domains", new { id, name = "SQL agent", keywords = new[] { "sql" } }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var duplicate = await client.PostAsJsonAsync("/api/domains", new { id, name = "again" }, ct);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("application/problem+json", duplicate.Content.Headers.ContentType?.MediaType);

        var listed = await client.GetStringAsync("/api/domains", ct);
        Assert.Contains(id, listed);
    }

    [Theory]
    [InlineData("{\"id\":", "JSON")]
    [InlineData("{\"id\":\"0x1-a\",\"name\":\"n\",\"maxTokens\":\"many\"}", "maxTokens")]
    [InlineData("{\"id\":\"bad id!\",\"name\":\"n\"}", "id")]
    [InlineData("{\"id\":\"0x2-a\"}", "name")]
    public async Task Bad_input_gets_problem_details_saying_what_was_wrong(string body, string mentioned)
    {
        var failure = await ProblemAssertions.BadRequestNamingAsync(factory.CreateClient(), "/api/domains", body, mentioned, TestContext.Current.CancellationToken);
        Assert.Null(failure);
    }
}
