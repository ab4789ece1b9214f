using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DomainPlatform.AppHost.Tests;

/// <summary>
/// The AppHost over servers that already run (here `./platform test`'s own Postgres, Redis and RabbitMQ), named by
/// connection strings instead of started as executables.
/// </summary>
public sealed class ExistingServersTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_connection_strings_the_services_use_the_existing_servers_and_the_apphost_starts_none()
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromMinutes(6));
        var ct = guard.Token;
        var data = Directory.CreateTempSubdirectory("apphost-existing-");
        var suffix = "_" + TestInfrastructure.UniqueName("ex").Replace('-', '_');
        await using var vhost = await TestVirtualHost.CreateAsync();
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                [
                    $"--Infrastructure:DataDirectory={data.FullName}",
                    $"--Infrastructure:Existing:Postgres={TestInfrastructure.Postgres}",
                    // Database 0: the test classes' services take 1-15.
                    $"--Infrastructure:Existing:Redis={TestInfrastructure.Redis},defaultDatabase=0",
                    $"--Infrastructure:Existing:RabbitMQ={vhost.AmqpUri}",
                    $"--Infrastructure:Existing:DatabaseSuffix={suffix}",
                    $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Block(1)}",
                    "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
                ], ct);
            builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            await using var app = await builder.BuildAsync(ct);

            // No server of its own: the three are connection strings now.
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            Assert.DoesNotContain(model.Resources, r => r.Name == "postgres");
            Assert.All(new[] { "redis", "eventbus", "deploymentdb", "gatewaydb" },
                name => Assert.IsType<ConnectionStringResource>(model.Resources.Single(r => r.Name == name)));
            Assert.DoesNotContain(model.Resources, r => r is DomainPlatform.AppHost.Infrastructure.PostgresServerResource
                or DomainPlatform.AppHost.Infrastructure.RedisServerResource or DomainPlatform.AppHost.Infrastructure.RabbitMQServerResource
                or DomainPlatform.AppHost.Infrastructure.EpmdResource);

            await app.StartAsync(ct);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var service in new[] { "deployment", "experimentation", "extraction", "training", "inference", "gateway" })
            {
                var resource = await notifications.WaitForResourceAsync(service, e =>
                    e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct);
                Assert.True(resource.Snapshot.HealthStatus == HealthStatus.Healthy, $"{service} is {resource.Snapshot.State?.Text} instead of healthy");
            }

            // A write through the gateway lands in the existing Postgres, in the suffixed database.
            var adminKey = (await File.ReadAllTextAsync(Path.Combine(data.FullName, "admin-key"), ct)).Trim();
            using var gateway = app.CreateHttpClient("gateway", "http");
            gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            using var created = await gateway.PostAsJsonAsync("/api/domains", new { id = "existing", name = "On existing servers" }, ct);
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(ct));
            await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestInfrastructure.Postgres) { Database = $"deploymentdb{suffix}" }.ConnectionString);
            await db.OpenAsync(ct);
            await using var count = new NpgsqlCommand("SELECT count(*) FROM domains WHERE id = 'existing'", db);
            Assert.Equal(1L, await count.ExecuteScalarAsync(ct));
            output.WriteLine($"Every service healthy on the existing servers; databases *db{suffix}");
            await app.StopAsync(ct);
        }
        finally
        {
            await DropDatabasesAsync(suffix);
            data.Delete(recursive: true);
        }
    }

    private static async Task DropDatabasesAsync(string suffix)
    {
        await using var admin = new NpgsqlConnection(TestInfrastructure.Postgres + ";Database=postgres");
        await admin.OpenAsync();
        var names = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE @pattern", admin))
        {
            list.Parameters.AddWithValue("pattern", $"%db{suffix}");
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        }
        foreach (var name in names)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
