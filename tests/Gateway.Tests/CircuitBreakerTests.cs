using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using DomainPlatform.TestSupport;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// An inference instance that accepts connections and resets them: once its failures pile up the gateway
/// stops sending it anything (the circuit opens), while every client request still succeeds on the live one.
/// </summary>
public sealed class CircuitBreakerTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task A_failing_instance_is_taken_out_of_rotation_and_clients_see_no_failure()
    {
        var ct = TestContext.Current.CancellationToken;
        using var failing = new ResettingListener();
        await using var gateway = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("services:inference:http:1", failing.Url);
            // Long enough that the circuit cannot close again while the test runs, however slow the machine.
            b.UseSetting("Gateway:CircuitBreakDuration", "00:30:00");
        });
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await factory.CreateKeyAsync("client"));

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/embeddings", ct)).StatusCode);
        }
        Assert.True(failing.Connections > 0, "the load balancer never tried the failing instance");

        var proxyState = gateway.Services.GetRequiredService<IProxyStateLookup>();
        Assert.True(proxyState.TryGetCluster("inference", out var cluster));
        var destination = cluster.Destinations.Values.Single(d => d.Model.Config.Address.StartsWith(failing.Url, StringComparison.Ordinal));
        await Eventually.GetAsync(
            () => Task.FromResult(destination.Health.Passive),
            health => health == DestinationHealth.Unhealthy,
            "the failing instance marked unhealthy by passive health checks");

        var attemptsWhenOpened = failing.Connections;
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/embeddings", ct)).StatusCode);
        }
        Assert.Equal(attemptsWhenOpened, failing.Connections);
    }

    /// <summary>Accepts every connection and resets it at once, counting them.</summary>
    private sealed class ResettingListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public ResettingListener()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                    // A client gave up first: keep accepting.
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
