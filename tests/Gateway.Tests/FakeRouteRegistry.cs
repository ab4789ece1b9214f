using Microsoft.Extensions.Configuration;
using DomainPlatform.Protos.Deployment;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Deployment's ModelRegistry gRPC service as the gateway sees it, serving a table the test sets.</summary>
public sealed class FakeRouteRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeRouteRegistry(WebApplication app) => _app = app;

    public RouteTable Table { get; set; } = new();

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<FakeRouteRegistry> StartAsync(RouteTable table)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The gateway's appsettings.json (copied beside the tests) names fixed Kestrel endpoints: ignore it.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        FakeRouteRegistry? registry = null;
        builder.Services.AddSingleton(_ => registry!);
        var app = builder.Build();
        registry = new FakeRouteRegistry(app) { Table = table };
        app.MapGrpcService<RegistryService>();
        await app.StartAsync();
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class RegistryService(FakeRouteRegistry registry) : ModelRegistry.ModelRegistryBase
    {
        public override Task<RouteTable> GetRouteTable(GetRouteTableRequest request, ServerCallContext context) => Task.FromResult(registry.Table);
    }
}

/// <summary>The route table the integration tests start from.</summary>
public static class TestRoutes
{
    public const string Sql = "0x5678-SQLAgent";
    public const string Docs = "0x1234-DocsQA";
    public const string SqlSalt = "rollout-0193f5a2";
    public const int DocsMaxTokens = 64;
    public const long SqlCreated = 1_764_000_000;
    public const long DocsCreated = 1_765_000_000;

    public static RouteTable Initial()
    {
        // Docs caps completions at DocsMaxTokens; sql has no cap of its own.
        var sql = new DomainRoute { Domain = Sql, Salt = SqlSalt, Aliases = { "sql" }, Keywords = { "sql", "query", "table" }, CreatedUnixSeconds = SqlCreated };
        sql.Variants.Add(new RouteVariant { Name = "stable", ModelVersion = "1.2.0", ModelId = Sql + "@1.2.0", WeightPercent = 90, Destination = "inference" });
        sql.Variants.Add(new RouteVariant { Name = "canary", ModelVersion = "1.3.0", ModelId = Sql + "@1.3.0", WeightPercent = 10, Destination = "inference-canary" });
        var docs = new DomainRoute
        {
            Domain = Docs, Salt = Docs, Aliases = { "docs" }, Keywords = { "documentation", "manual" }, MaxTokens = DocsMaxTokens, CreatedUnixSeconds = DocsCreated,
        };
        docs.Variants.Add(new RouteVariant { Name = "stable", ModelVersion = "2.0.0", ModelId = Docs + "@2.0.0", WeightPercent = 100, Destination = "inference" });
        return new RouteTable { Revision = 1, Domains = { sql, docs } };
    }
}
