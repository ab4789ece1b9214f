using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace DomainPlatform.AppHost.Infrastructure;

/// <summary>Debian's PostgreSQL server (its <c>postgres</c> binary) run by the orchestrator, on 127.0.0.1 only.</summary>
public sealed class PostgresServerResource(string name, string command, string dataDirectory, int port)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    // The bootstrap superuser: each service creates its own database at start.
    public const string User = "platform";
    public const string Password = "platform";

    public string DataDirectory { get; } = dataDirectory;
    public int Port { get; } = port;
    public EndpointReference Endpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={Endpoint.Property(EndpointProperty.Port)};Username={User};Password={Password}");
}

/// <summary>A service's own database on a <see cref="PostgresServerResource"/> (created by the service itself).</summary>
public sealed class PostgresDatabaseResource(string name, PostgresServerResource parent)
    : Resource(name), IResourceWithParent<PostgresServerResource>, IResourceWithConnectionString
{
    public PostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={Name}");
}

public static class PostgresServerExtensions
{
    /// <summary>
    /// Adds Postgres from <c>/usr/lib/postgresql/*/bin</c> with its data under <paramref name="baseDirectory"/>
    /// (initialised on first start), healthy once it answers a query.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgresServer(
        this IDistributedApplicationBuilder builder, string name, string baseDirectory, int port)
    {
        var bin = PostgresBinDirectory();
        var dataDirectory = Path.Combine(baseDirectory, "data");
        var server = new PostgresServerResource(name, RunAs.Command, dataDirectory, port);

        var healthCheck = $"{name}-query";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async ct =>
        {
            var connectionString = $"Host=127.0.0.1;Port={port};Username={PostgresServerResource.User};" +
                $"Password={PostgresServerResource.Password};Database=postgres;Timeout=3;Pooling=false";
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"no answer to SELECT 1 on 127.0.0.1:{port}: {e.Message}");
            }
        });

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, (_, ct) => InitialiseAsync(bin, baseDirectory, dataDirectory, ct));

        return builder.AddResource(server)
            .WithArgs([.. RunAs.Prefix("postgres"), Path.Combine(bin, "postgres"), "-D", dataDirectory, "-p", port.ToString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "max_connections=400", "-c", "shared_buffers=128MB", "-c", "synchronous_commit=off"])
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>Adds the database <paramref name="name"/> of one service; waiting for it waits for the server.</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name)
    {
        var database = new PostgresDatabaseResource(name, server.Resource);
        // The orchestrator passes a parent's state on to its children only for containers: here the
        // database is running once its server is healthy.
        server.ApplicationBuilder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, (ready, _) =>
            ready.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            }));
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [],
            });
    }

    private static string PostgresBinDirectory()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(dir => File.Exists(Path.Combine(dir, "initdb")))
                .OrderBy(dir => int.TryParse(Path.GetFileName(Path.GetDirectoryName(dir)), out var v) ? v : 0)
                .LastOrDefault()
            : null;
        return bin ?? throw new DistributedApplicationException(
            "No Postgres server under /usr/lib/postgresql/*/bin: install it (apt-get install postgresql).");
    }

    // Postgres refuses to run as root: its data then belongs to the postgres user.
    private static async Task InitialiseAsync(string bin, string baseDirectory, string dataDirectory, CancellationToken ct)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION"))) return;
        Directory.CreateDirectory(baseDirectory);
        await RunAs.ChownAsync("postgres", baseDirectory, ct);
        var passwordFile = Path.Combine(baseDirectory, ".pw");
        await File.WriteAllTextAsync(passwordFile, PostgresServerResource.Password + "\n", ct);
        await RunAs.ChownAsync("postgres", passwordFile, ct);
        try
        {
            await RunAs.RunAsync("postgres", Path.Combine(bin, "initdb"),
                ["-D", dataDirectory, "-U", PostgresServerResource.User, $"--pwfile={passwordFile}",
                 "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N"], ct);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }
}

/// <summary>Runs a server as its own system user when the AppHost runs as root (setpriv execs, so signals reach the server).</summary>
internal static class RunAs
{
    public static bool IsRoot => Environment.UserName == "root";

    public static string Command => IsRoot ? "setpriv" : "env";

    public static string[] Prefix(string user) =>
        IsRoot ? [$"--reuid={user}", $"--regid={user}", "--init-groups", "--"] : [];

    public static Task ChownAsync(string user, string path, CancellationToken ct) =>
        IsRoot ? RunAsync(null, "chown", [$"{user}:{user}", path], ct) : Task.CompletedTask;

    public static async Task RunAsync(string? user, string program, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(user is null ? program : Command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in user is null ? args : [.. Prefix(user), program, .. args]) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new DistributedApplicationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException($"{Path.GetFileName(program)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
