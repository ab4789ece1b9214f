using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DomainPlatform.Persistence;

public static class PostgresExtensions
{
    /// <summary>
    /// Registers the service's own Postgres database from <c>ConnectionStrings:{connectionName}</c> (the name an Aspire
    /// AppHost injects) through the Aspire Npgsql integration: a pooled <see cref="NpgsqlDataSource"/> with its health
    /// check (readiness), tracing and metrics; and a start-up step that creates the database if missing and applies the
    /// embedded SQL migrations of <paramref name="migrationAssemblies"/> (files under a Migrations folder, applied in name
    /// order, each once, under an advisory lock so replicas starting together do not race).
    /// </summary>
    public static IHostApplicationBuilder AddPostgresDatabase(
        this IHostApplicationBuilder builder, string connectionName, params Assembly[] migrationAssemblies)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Connection string '{connectionName}' is missing: set ConnectionStrings__{connectionName} " +
                "(the launcher and the AppHost do) to a Postgres connection string.");
        }

        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        // Fail fast when the server is unreachable, so readiness reflects it within seconds.
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase)) csb.Timeout = 5;
        foreach (var assembly in migrationAssemblies) builder.Services.AddSingleton(new MigrationSource(assembly));

        builder.Services.AddSingleton(new DatabaseOptions(connectionName, csb.ConnectionString));
        builder.AddNpgsqlDataSource(connectionName, settings => settings.ConnectionString = csb.ConnectionString);
        builder.Services.AddHostedService<DatabaseMigrator>();
        return builder;
    }
}

public sealed record DatabaseOptions(string ConnectionName, string ConnectionString);

/// <summary>An assembly whose embedded <c>Migrations/*.sql</c> belong in the service database.</summary>
public sealed record MigrationSource(Assembly Assembly);
