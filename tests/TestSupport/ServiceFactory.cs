using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Xunit;

namespace DomainPlatform.TestSupport;

/// <summary>
/// Boots one service in-process against the real infrastructure with its own database (reached through
/// a <see cref="TcpProxy"/> so tests can cut it), its own RabbitMQ virtual host and its own Redis database.
/// Several services can share one virtual host (the second constructor) so that a test sees events cross between them.
/// </summary>
public class ServiceFactory<TProgram> : WebApplicationFactory<TProgram>, IAsyncLifetime
    where TProgram : class
{
    private static int _redisDatabase;
    private readonly string _databaseConnectionName;
    private readonly TestVirtualHost? _sharedVirtualHost;

    public ServiceFactory(string databaseConnectionName) => _databaseConnectionName = databaseConnectionName;

    /// <summary>A factory on a virtual host the caller created and disposes, shared with other services' factories.</summary>
    public ServiceFactory(string databaseConnectionName, TestVirtualHost sharedVirtualHost) : this(databaseConnectionName) =>
        _sharedVirtualHost = sharedVirtualHost;

    public TestDatabase Database { get; } = new();
    public TcpProxy PostgresProxy { get; private set; } = null!;
    public TestVirtualHost VirtualHost { get; private set; } = null!;
    public int RedisDatabase { get; } = 1 + Interlocked.Increment(ref _redisDatabase) % 15;

    /// <summary>Extra settings a derived factory wants, as configuration keys.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    public virtual async ValueTask InitializeAsync()
    {
        var postgres = new NpgsqlConnectionStringBuilder(TestInfrastructure.Postgres);
        PostgresProxy = new TcpProxy(postgres.Host!, postgres.Port);
        VirtualHost = _sharedVirtualHost ?? await TestVirtualHost.CreateAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        // appsettings.json pins the launcher's ports; a test that runs real Kestrel takes free ones instead.
        // (An app configuration source, added after appsettings.json so it wins; UseSetting would not.)
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:grpc:Url"] = "http://127.0.0.1:0",
        }));
        builder.UseSetting($"ConnectionStrings:{_databaseConnectionName}", Database.ConnectionString("127.0.0.1", PostgresProxy.Port));
        builder.UseSetting("ConnectionStrings:redis", $"{TestInfrastructure.Redis},defaultDatabase={RedisDatabase}");
        builder.UseSetting("ConnectionStrings:eventbus", VirtualHost.AmqpUri);
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await PostgresProxy.DisposeAsync();
        if (_sharedVirtualHost is null) await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
