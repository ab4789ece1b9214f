using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>
/// A real HTTP server on a loopback port standing in for Slack, PagerDuty and webhook receivers: every POST to
/// /{name} is kept with its JSON body. /slack answers "ok" as Slack does, /pagerduty 202 as the Events API does;
/// /flaky answers 503 to the first two posts of each alert, /broken always 500, /refuse always 400.
/// </summary>
public sealed class ChannelReceivers : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _flakyCounts = new();

    private ChannelReceivers(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Receiver, JsonElement Body)> Received { get; } = new();

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public IReadOnlyList<JsonElement> At(string receiver) => [.. Received.Where(r => r.Receiver == receiver).Select(r => r.Body)];

    public static async Task<ChannelReceivers> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Experimentation's appsettings.json (copied beside the tests) names fixed Kestrel endpoints: ignore it.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var self = new ChannelReceivers(app);
        app.MapPost("/{receiver}", async (string receiver, HttpRequest request) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            self.Received.Enqueue((receiver, body));
            return receiver switch
            {
                "slack" => Results.Text("ok"),
                "pagerduty" => Results.Json(new { status = "success", message = "Event processed", dedup_key = body.GetProperty("dedup_key").GetString() }, statusCode: 202),
                "flaky" when self._flakyCounts.AddOrUpdate(body.GetProperty("alertId").GetString()!, 1, (_, n) => n + 1) <= 2 => Results.Text("busy", statusCode: 503),
                "broken" => Results.Text("down for maintenance", statusCode: 500),
                "refuse" => Results.Text("no such hook", statusCode: 400),
                _ => Results.Ok(),
            };
        });
        await app.StartAsync();
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
