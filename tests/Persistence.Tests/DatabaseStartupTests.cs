using Dapper;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DomainPlatform.Persistence.Tests;

public sealed class DatabaseStartupTests
{
    private static IHost Replica(TestDatabase database)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:testdb"] = database.ConnectionString() });
        builder.AddPostgresDatabase("testdb", typeof(DatabaseStartupTests).Assembly);
        return builder.Build();
    }

    [Fact]
    public async Task Replicas_starting_together_create_and_migrate_the_database_exactly_once()
    {
        await using var database = new TestDatabase();
        var ct = TestContext.Current.CancellationToken;
        var replicas = Enumerable.Range(0, 4).Select(_ => Replica(database)).ToList();

        await Task.WhenAll(replicas.Select(r => r.StartAsync(ct)));

        await using (var connection = new NpgsqlConnection(database.ConnectionString()))
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT value FROM counter WHERE id = 1"));
            var applied = (await connection.QueryAsync<string>("SELECT id FROM schema_migrations ORDER BY id")).ToList();
            Assert.Equal(["Persistence.Tests:0001_counter.sql", "Persistence.Tests:0002_bump.sql"], applied);
        }

        // A restart applies nothing again.
        var restarted = Replica(database);
        await restarted.StartAsync(ct);
        await using (var connection = new NpgsqlConnection(database.ConnectionString()))
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT value FROM counter WHERE id = 1"));
        }

        foreach (var host in replicas.Append(restarted))
        {
            await host.StopAsync(ct);
            host.Dispose();
        }
    }

    [Fact]
    public void A_missing_connection_string_names_the_setting_to_set()
    {
        var builder = Host.CreateApplicationBuilder();
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddPostgresDatabase("nosuchdb"));
        Assert.Contains("ConnectionStrings__nosuchdb", error.Message);
    }

    [Fact]
    public void Migrations_are_discovered_in_name_order_under_their_assembly_name()
    {
        var scripts = MigrationScripts.Discover([typeof(DatabaseStartupTests).Assembly]);
        Assert.Equal(["Persistence.Tests:0001_counter.sql", "Persistence.Tests:0002_bump.sql"], scripts.Select(s => s.Id));
    }
}
