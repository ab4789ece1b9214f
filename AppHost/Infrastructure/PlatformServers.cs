namespace DomainPlatform.AppHost.Infrastructure;

/// <summary>
/// The three servers the services need, either started by the AppHost (Debian's binaries as executable resources, the
/// default) or servers that already run, named by connection strings (<c>Infrastructure:Existing:Postgres</c>, an
/// Npgsql connection string without a database, allowed to create databases; <c>:Redis</c>, a StackExchange.Redis
/// configuration; <c>:RabbitMQ</c>, an amqp:// URI with its virtual host). Each one given replaces that server only.
/// An existing server is not waited for (the orchestrator cannot watch it): the services retry until it answers.
/// </summary>
public sealed class PlatformServers
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly IResourceBuilder<PostgresServerResource>? _postgres;
    private readonly string? _existingPostgres;
    private readonly string _databaseSuffix;

    public PlatformServers(IDistributedApplicationBuilder builder, string dataDirectory, Func<string, int> port)
    {
        _builder = builder;
        var existing = builder.Configuration.GetSection("Infrastructure:Existing");
        _existingPostgres = existing["Postgres"] is { Length: > 0 } pg ? pg : null;
        // Databases on a shared server can carry a suffix (deploymentdb_ci), so two platforms never meet in one.
        _databaseSuffix = existing["DatabaseSuffix"] ?? "";
        if (_databaseSuffix.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            throw new DistributedApplicationException($"Infrastructure:Existing:DatabaseSuffix takes letters, digits and _ only, got '{_databaseSuffix}'.");
        }
        if (_existingPostgres is null) _postgres = builder.AddPostgresServer("postgres", Path.Combine(dataDirectory, "postgres"), port("PostgresPort"));
        Redis = existing["Redis"] is { Length: > 0 } redis
            ? builder.AddConnectionString("redis", ReferenceExpression.Create($"{redis}"))
            : builder.AddRedisServer("redis", Path.Combine(dataDirectory, "redis"), port("RedisPort"));
        EventBus = existing["RabbitMQ"] is { Length: > 0 } amqp
            ? builder.AddConnectionString("eventbus", ReferenceExpression.Create($"{amqp}"))
            : builder.AddRabbitMQServer("eventbus", Path.Combine(dataDirectory, "rabbitmq"), port("AmqpPort"), port("RabbitMQDistributionPort"), port("EpmdPort"));
    }

    public IResourceBuilder<IResourceWithConnectionString> Redis { get; }

    public IResourceBuilder<IResourceWithConnectionString> EventBus { get; }

    /// <summary>A service's own database (<c>ConnectionStrings:&lt;name&gt;</c>), on the AppHost's server or the existing one.</summary>
    public IResourceBuilder<IResourceWithConnectionString> Database(string name) => _postgres is not null
        ? _postgres.AddDatabase(name)
        : _builder.AddConnectionString(name, ReferenceExpression.Create($"{_existingPostgres};Database={name}{_databaseSuffix}"));

    /// <summary>The resource references it, and waits for it when the AppHost runs it (an existing server it cannot watch).</summary>
    public static IResourceBuilder<ProjectResource> Use(IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> server)
    {
        project.WithReference(server);
        return server.Resource is ConnectionStringResource ? project : project.WaitFor(server);
    }
}
