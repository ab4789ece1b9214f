using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DomainPlatform.EventBus;

/// <summary>
/// Whether the service's broker answers: one AMQP connection of its own, kept open and recovering by itself, so a check
/// costs nothing while the broker is there and says so at once when the connection is lost. MassTransit's own check
/// judges receive endpoints, so a service that only publishes (extraction) looked healthy through a whole RabbitMQ outage.
/// </summary>
public sealed class BrokerHealthCheck(AmqpAddress broker, string serviceName) : IHealthCheck, IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnection? _connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var where = $"RabbitMQ at {broker.Host}:{broker.Port} (virtual host '{broker.VirtualHost}')";
        if (_connection is { IsOpen: true }) return HealthCheckResult.Healthy($"{where} answers.");
        if (_connection is not null) return HealthCheckResult.Unhealthy($"{where}: the connection is lost and recovering ({_connection.CloseReason?.ReplyText ?? "closed"}).");

        // No connection yet (the broker was away when the service started): one attempt per check.
        if (!await _connecting.WaitAsync(0, cancellationToken)) return HealthCheckResult.Unhealthy($"{where}: connecting.");
        try
        {
            var factory = new ConnectionFactory
            {
                HostName = broker.Host, Port = broker.Port, VirtualHost = broker.VirtualHost,
                UserName = broker.Username, Password = broker.Password,
                ClientProvidedName = $"{serviceName}-health",
                RequestedConnectionTimeout = TimeSpan.FromSeconds(2),
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = false,
                NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            };
            _connection = await factory.CreateConnectionAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{where} answers.");
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or SocketException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{where} is unreachable: {e.Message}");
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _connecting.Dispose();
    }
}
