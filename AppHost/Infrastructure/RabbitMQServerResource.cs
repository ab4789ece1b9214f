using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DomainPlatform.AppHost.Infrastructure;

/// <summary>
/// Debian's rabbitmq-server run by the orchestrator on 127.0.0.1, with its own node data, cookie,
/// distribution port and epmd (<see cref="EpmdResource"/>), so it never meets a system RabbitMQ.
/// </summary>
public sealed class RabbitMQServerResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string User = "platform";
    public const string Password = "platform";

    public EndpointReference Endpoint => new(this, "amqp");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{User}:{Password}@127.0.0.1:{Endpoint.Property(EndpointProperty.Port)}/%2F");
}

/// <summary>The Erlang port mapper the RabbitMQ node registers with; run on its own so that it stops with the AppHost.</summary>
public sealed class EpmdResource(string name, string workingDirectory) : ExecutableResource(name, "epmd", workingDirectory);

public static class RabbitMQServerExtensions
{
    private const string Scripts = "/usr/lib/rabbitmq/bin";

    /// <summary>
    /// Adds epmd and rabbitmq-server (AMQP on <paramref name="amqpPort"/>, node distribution on
    /// <paramref name="distributionPort"/>); healthy once an AMQP connection opens as the platform user.
    /// </summary>
    public static IResourceBuilder<RabbitMQServerResource> AddRabbitMQServer(
        this IDistributedApplicationBuilder builder, string name, string directory, int amqpPort, int distributionPort, int epmdPort)
    {
        var server = Path.Combine(Scripts, "rabbitmq-server");
        if (!File.Exists(server) || !File.Exists("/usr/bin/epmd"))
        {
            throw new DistributedApplicationException($"No {server} or epmd: install RabbitMQ (apt-get install rabbitmq-server).");
        }
        if (builder.ExecutionContext.IsRunMode) Configure(directory);

        var epmdCheck = $"{name}-epmd-names";
        builder.Services.AddHealthChecks().AddAsyncCheck(epmdCheck, ct => EpmdAnswersAsync(epmdPort, ct));
        var epmd = builder.AddResource(new EpmdResource($"{name}-epmd", directory))
            .WithArgs("-port", epmdPort.ToString(), "-address", "127.0.0.1")
            .WithEndpoint(port: epmdPort, targetPort: epmdPort, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(epmdCheck);

        var amqpCheck = $"{name}-amqp";
        builder.Services.AddHealthChecks().AddAsyncCheck(amqpCheck, async ct =>
        {
            try
            {
                var factory = new ConnectionFactory
                {
                    HostName = "127.0.0.1", Port = amqpPort, UserName = RabbitMQServerResource.User,
                    Password = RabbitMQServerResource.Password, RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                };
                await using var connection = await factory.CreateConnectionAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or SocketException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"no AMQP connection on 127.0.0.1:{amqpPort}: {e.Message}");
            }
        });

        return builder.AddResource(new RabbitMQServerResource(name, server, directory))
            .WithEnvironment("RABBITMQ_CONFIG_FILE", Path.Combine(directory, "rabbitmq.conf"))
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(directory, "rabbitmq-env.conf"))
            .WithEnvironment("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(directory, "advanced.config"))
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(directory, "enabled_plugins"))
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(directory, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(directory, "log"))
            .WithEnvironment("RABBITMQ_PID_FILE", Path.Combine(directory, "mnesia", "rabbit.pid"))
            .WithEnvironment("RABBITMQ_NODENAME", "platform@localhost")
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", amqpPort.ToString())
            .WithEnvironment("RABBITMQ_DIST_PORT", distributionPort.ToString())
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("ERL_EPMD_PORT", epmdPort.ToString())
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            // The Erlang cookie lives in HOME.
            .WithEnvironment("HOME", Path.Combine(directory, "home"))
            .WithEndpoint(port: amqpPort, targetPort: amqpPort, scheme: "amqp", name: "amqp", isProxied: false)
            .WithHealthCheck(amqpCheck)
            .WaitFor(epmd);
    }

    private static void Configure(string directory)
    {
        foreach (var sub in new[] { "mnesia", "log", "home" }) Directory.CreateDirectory(Path.Combine(directory, sub));
        File.WriteAllText(Path.Combine(directory, "rabbitmq-env.conf"), "");
        // No plugins: the AppHost's health check and the services speak AMQP only.
        File.WriteAllText(Path.Combine(directory, "enabled_plugins"), "[].\n");
        if (!File.Exists(Path.Combine(directory, "advanced.config"))) File.WriteAllText(Path.Combine(directory, "advanced.config"), "[].\n");
        File.WriteAllText(Path.Combine(directory, "rabbitmq.conf"), $"""
            # Written by the AppHost on every start.
            # Applied when the node's data is first created.
            default_user = {RabbitMQServerResource.User}
            default_pass = {RabbitMQServerResource.Password}
            default_user_tags.administrator = true
            default_permissions.configure = .*
            default_permissions.read = .*
            default_permissions.write = .*
            default_vhost = /
            loopback_users = none
            # Logs go to the console, which the dashboard shows.
            log.console = true
            log.file = false
            disk_free_limit.absolute = 50MB

            """);
    }

    // EPMD's NAMES_REQ: a two-byte length (1) and 'n'; epmd answers with its own port as four bytes.
    private static async Task<HealthCheckResult> EpmdAnswersAsync(int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, ct);
            var answer = new byte[4];
            await stream.ReadExactlyAsync(answer, ct);
            var announced = (answer[0] << 24) | (answer[1] << 16) | (answer[2] << 8) | answer[3];
            return announced == port
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"epmd on 127.0.0.1:{port} announced port {announced}");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return HealthCheckResult.Unhealthy($"no epmd answer on 127.0.0.1:{port}: {e.Message}");
        }
    }
}
