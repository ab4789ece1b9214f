using Microsoft.Extensions.Configuration;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// A real HTTP server on a loopback port standing in for one service: it echoes who it is and what it got. A request may
/// script the answer: <see cref="StatusHeader"/> (with <see cref="CodeHeader"/>) answers that status with an OpenAI error
/// body, <see cref="HangHeader"/> never answers until the caller gives up.
/// </summary>
public sealed class FakeBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public const string StatusHeader = "X-Test-Status";
    public const string CodeHeader = "X-Test-Error-Code";
    public const string HangHeader = "X-Test-Hang";

    private int _requests;

    /// <summary>How many requests reached this backend (besides its OpenAPI document).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A streamed answer sends its first chunk, then waits for the test to release the rest.</summary>
    public SemaphoreSlim StreamGate { get; } = new(0);

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<FakeBackend> StartAsync(string name, Action<WebApplication>? extraRoutes = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The gateway's appsettings.json (copied beside the tests) names fixed Kestrel endpoints: ignore it.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeBackend? self = null;
        extraRoutes?.Invoke(app);
        app.MapGet("/openapi/v1.json", () => Results.Json(new { openapi = "3.1.1", info = new { title = name } }));
        app.Map("/{**path}", async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref self!._requests);
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (ctx.Request.Headers.ContainsKey(HangHeader))
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            }
            if (int.TryParse(ctx.Request.Headers[StatusHeader], out var status))
            {
                var code = ctx.Request.Headers[CodeHeader].ToString();
                return Results.Json(new { error = new { message = $"scripted {status}", type = status < 500 ? "invalid_request_error" : "server_error", param = (string?)null, code = code.Length > 0 ? code : null } },
                    statusCode: status);
            }
            if (body.Contains("\"stream\":true", StringComparison.Ordinal))
            {
                ctx.Response.ContentType = "text/event-stream";
                await ctx.Response.WriteAsync("data: {\"choices\":[{\"delta\":{\"content\":\"first\"}}]}\n\n");
                await ctx.Response.Body.FlushAsync();
                await self.StreamGate.WaitAsync(ctx.RequestAborted);
                await ctx.Response.WriteAsync("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n");
                return Results.Empty;
            }
            return Results.Json(new
            {
                service = name, path = ctx.Request.Path.Value, query = ctx.Request.QueryString.Value, method = ctx.Request.Method, body,
                actors = ctx.Request.Headers["X-Actor"].ToArray(),
                usage = new { prompt_tokens = 11, completion_tokens = 7, total_tokens = 18 },
            });
        });
        await app.StartAsync();
        self = new FakeBackend(name, app);
        return self;
    }

    // Sockets bound and never listening, kept for the life of the test process: their ports refuse every connection, and
    // no later bind (a fake backend on port 0) can be given one of them.
    private static readonly List<Socket> DeadPorts = [];

    /// <summary>
    /// A loopback URL where nothing listens, for good: a service that is down. Its port stays bound without listening
    /// (connections are refused); a port merely closed again could be handed to a later fake backend, which then answered
    /// as the "dead" destination (a gateway test once saw inference's requests reach the deployment fake that way).
    /// </summary>
    public static string DeadUrl()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        lock (DeadPorts) DeadPorts.Add(socket);
        return $"http://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
