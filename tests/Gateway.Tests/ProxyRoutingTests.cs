using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DomainPlatform.Gateway.Tests;

public sealed class ProxyRoutingTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private sealed record Echo(string Service, string Path, string Query, string Method, string Body);

    [Theory]
    [InlineData("/api/domains", "deployment")]
    [InlineData("/api/domains/0x1234-SQLAgent", "deployment")]
    [InlineData("/api/models/0x1234-SQLAgent/versions", "deployment")]
    [InlineData("/api/deployments", "deployment")]
    [InlineData("/api/rollouts/42", "deployment")]
    [InlineData("/api/audit", "deployment")]
    [InlineData("/api/experiments", "experimentation")]
    [InlineData("/api/alerts/7", "experimentation")]
    [InlineData("/api/routing/weights", "experimentation")]
    [InlineData("/api/metrics", "experimentation")]
    [InlineData("/api/metrics/catalog", "experimentation")]
    [InlineData("/api/sources", "extraction")]
    [InlineData("/api/datasets/3", "extraction")]
    [InlineData("/api/extraction/jobs", "extraction")]
    [InlineData("/v1/chat/completions", "inference")]
    [InlineData("/v1/completions", "inference")]
    [InlineData("/v1/embeddings", "inference")]
    public async Task Requests_reach_the_service_that_owns_the_prefix_with_path_and_query_intact(string path, string service)
    {
        var client = await factory.CreateClientAsync("operator");
        var echo = await client.GetFromJsonAsync<Echo>(path + "?page=2", TestContext.Current.CancellationToken);
        Assert.NotNull(echo);
        Assert.Equal(service, echo.Service);
        Assert.Equal(path, echo.Path);
        Assert.Equal("?page=2", echo.Query);
    }

    [Fact]
    public async Task Request_bodies_and_methods_pass_through()
    {
        var client = await factory.CreateClientAsync("operator");
        var response = await client.PostAsJsonAsync("/api/experiments", new { name = "ab" }, TestContext.Current.CancellationToken);
        var echo = await response.Content.ReadFromJsonAsync<Echo>(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("experimentation", "POST", """{"name":"ab"}"""), (echo!.Service, echo.Method, echo.Body));
    }

    [Fact]
    public async Task Paths_outside_every_prefix_are_not_proxied()
    {
        var client = await factory.CreateClientAsync("operator");
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/domainsx", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/unknown", ct)).StatusCode);
    }

    [Theory]
    [InlineData("deployment")]
    [InlineData("experimentation")]
    [InlineData("extraction")]
    [InlineData("inference")]
    public async Task Each_service_openapi_document_is_served_under_its_own_name(string service)
    {
        var client = factory.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync($"/openapi/{service}/v1.json", TestContext.Current.CancellationToken));
        Assert.Equal(service, document.RootElement.GetProperty("info").GetProperty("title").GetString());
    }

    [Fact]
    public async Task The_openapi_index_lists_every_document_and_each_link_works()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        using var index = JsonDocument.Parse(await client.GetStringAsync("/api/openapi", ct));
        var links = index.RootElement.EnumerateArray()
            .ToDictionary(e => e.GetProperty("service").GetString()!, e => e.GetProperty("url").GetString()!);

        Assert.Equal(["deployment", "experimentation", "extraction", "gateway", "inference", "training"], links.Keys.Order());
        Assert.EndsWith("/openapi/v1.json", links["gateway"]);
        Assert.Contains("/api/openapi", await client.GetStringAsync(new Uri(links["gateway"]).PathAndQuery, ct));
        foreach (var service in new[] { "deployment", "experimentation", "extraction", "inference" })
        {
            var response = await client.GetAsync(new Uri(links[service]).PathAndQuery, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_service_that_is_down_answers_bad_gateway_as_problem_details()
    {
        var client = await factory.CreateClientAsync("operator");
        var ct = TestContext.Current.CancellationToken;
        var response = await client.GetAsync("/api/training/jobs", ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("training", problem.RootElement.GetProperty("service").GetString());
        Assert.Equal(502, problem.RootElement.GetProperty("status").GetInt32());
    }
}
