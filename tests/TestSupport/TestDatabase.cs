using Npgsql;

namespace DomainPlatform.TestSupport;

/// <summary>A database name of its own for one test class; dropped afterwards. The service creates it.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string Name { get; } = TestInfrastructure.UniqueName("t");

    public string ConnectionString(string? host = null, int? port = null)
    {
        var csb = new NpgsqlConnectionStringBuilder(TestInfrastructure.Postgres) { Database = Name };
        if (host is not null) csb.Host = host;
        if (port is not null) csb.Port = port.Value;
        return csb.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var admin = new NpgsqlConnectionStringBuilder(TestInfrastructure.Postgres) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
