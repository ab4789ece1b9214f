using System.Net;
using System.Net.Http.Json;
using DomainPlatform.Protos.Deployment;
using DomainPlatform.TestSupport;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>
/// What the service tells whoever reaches it: the actor it audits comes from the gateway's X-Actor only; outside
/// Development neither /health nor a failing gRPC call carries an exception's text.
/// </summary>
public sealed class DoorTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private async Task<string> ActorOfAnUpdateAsync(HttpClient client, string? header)
    {
        var id = await CreateDomainAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/domains/{id}") { Content = JsonContent.Create(new { name = "Renamed" }) };
        if (header is not null) request.Headers.TryAddWithoutValidation("X-Actor", header);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request, Ct)).StatusCode);
        var entry = Assert.Single((await GetJsonAsync(client, $"/api/audit?entityId={id}&action=update")).EnumerateArray());
        return entry.GetProperty("actor").GetString()!;
    }

    [Theory]
    [InlineData(null, "system")]
    [InlineData("key:ops-bot (operator)", "key:ops-bot (operator)")]
    [InlineData("key:%C3%A9quipe 100%25 (admin)", "key:équipe 100% (admin)")]
    [InlineData("key:a%00b (admin)", "key:a%00b (admin)")]
    public async Task The_audit_actor_is_the_gateway_header_decoded_else_system(string? header, string expected)
    {
        Assert.Equal(expected, await ActorOfAnUpdateAsync(factory.CreateClient(), header));
    }

    [Fact]
    public async Task Outside_development_health_names_the_failing_check_without_its_exception_text()
    {
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        var client = production.CreateClient();
        var developer = factory.CreateClient();
        await Eventually.GetAsync(() => client.GetAsync("/health", Ct), r => r.StatusCode == HttpStatusCode.OK, "readiness after start");

        factory.PostgresProxy.Stop();
        try
        {
            var down = await Eventually.GetAsync(() => client.GetAsync("/health", Ct), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "readiness to fail");
            var body = await down.Content.ReadAsStringAsync(Ct);
            // The Aspire Npgsql integration's check, named as it names it.
            var check = PostgresCheck(body);
            Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, check.GetProperty("description").ValueKind);
            Assert.DoesNotContain("Exception", body, StringComparison.OrdinalIgnoreCase);

            // The same failure in Development says why, so the check above is not vacuous.
            var detailed = await Eventually.GetAsync(() => developer.GetAsync("/health", Ct), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "readiness to fail");
            Assert.False(string.IsNullOrWhiteSpace(PostgresCheck(await detailed.Content.ReadAsStringAsync(Ct)).GetProperty("description").GetString()));
        }
        finally
        {
            factory.PostgresProxy.Start();
        }
    }

    private static System.Text.Json.JsonElement PostgresCheck(string report) =>
        System.Text.Json.JsonDocument.Parse(report).RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "PostgreSql").Clone();

    [Fact]
    public async Task Outside_development_a_failing_grpc_call_carries_no_exception_text()
    {
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        var domain = await CreateDomainAsync(factory.CreateClient());
        var (path, sha) = Artifact();
        var request = new RegisterVersionRequest { Domain = domain, Bump = "major", ArtifactPath = path, ArtifactSha256 = sha };
        request.Metrics.Add(GoodMetrics);
        _ = production.Server; // started (migrations run) while Postgres answers

        factory.PostgresProxy.Stop();
        try
        {
            var hidden = await FailureAsync(production, request);
            var shown = await FailureAsync(factory, request);

            Assert.Equal(global::Grpc.Core.StatusCode.Unknown, hidden.StatusCode);
            Assert.Equal("Exception was thrown by handler.", hidden.Status.Detail);
            Assert.StartsWith("Exception was thrown by handler. ", shown.Status.Detail);
        }
        finally
        {
            factory.PostgresProxy.Start();
        }
    }

    private static async Task<global::Grpc.Core.RpcException> FailureAsync(WebApplicationFactory<Program> host, RegisterVersionRequest request)
    {
        using var channel = GrpcChannel.ForAddress(host.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = host.Server.CreateHandler() });
        var registry = new ModelRegistry.ModelRegistryClient(channel);
        return await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => registry.RegisterVersionAsync(request, cancellationToken: Ct).ResponseAsync);
    }
}
