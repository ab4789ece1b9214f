using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Xunit;

namespace DomainPlatform.TestSupport;

/// <summary>
/// Boots one service in-process against the real infrastructure with its own database (reached through
/// a <see cref="TcpProxy"/> so tests can cut it), its own RabbitMQ virtual host and its own Redis database.
/// </summary>
public class ServiceFactory<TProgram>(string databaseConnectionName) : WebApplicationFactory<TProgram>, IAsyncLifetime
    where TProgram : class
{
    private static int _redisDatabase;

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
        VirtualHost = await TestVirtualHost.CreateAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting($"ConnectionStrings:{databaseConnectionName}", Database.ConnectionString("127.0.0.1", PostgresProxy.Port));
        builder.UseSetting("ConnectionStrings:redis", $"{TestInfrastructure.Redis},defaultDatabase={RedisDatabase}");
        builder.UseSetting("ConnectionStrings:eventbus", VirtualHost.AmqpUri);
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await PostgresProxy.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
