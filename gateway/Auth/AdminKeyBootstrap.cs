using Dapper;
using DomainPlatform.Gateway.Data;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Gateway.Auth;

/// <summary>
/// At start, makes sure an operator can reach the admin API: when the admin key file is missing or no
/// longer holds an active admin key, a new admin key is created and written there (owner-only).
/// Replicas starting together take an advisory lock so only one creates it.
/// </summary>
internal sealed partial class AdminKeyBootstrap(
    NpgsqlDataSource dataSource, IOptions<GatewayOptions> options, ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    private const long BootstrapLockKey = 0x6A7E_0001;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var file = options.Value.AdminKeyFile;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = BootstrapLockKey }, tx, cancellationToken: cancellationToken));

        if (string.IsNullOrWhiteSpace(file))
        {
            var admins = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL", transaction: tx, cancellationToken: cancellationToken));
            if (admins == 0) LogNoAdminKeyFile(GatewayOptions.Section);
            return;
        }

        if (await FileHoldsActiveAdminKeyAsync(connection, tx, file, cancellationToken)) return;

        var (record, secret) = await ApiKeyStore.CreateAsync(connection, tx, "bootstrap admin", Roles.Admin, cancellationToken);
        WriteOwnerOnly(file, secret);
        await tx.CommitAsync(cancellationToken);
        LogCreated(record.KeyPrefix, file);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task<bool> FileHoldsActiveAdminKeyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string file, CancellationToken ct)
    {
        if (!File.Exists(file)) return false;
        var secret = (await File.ReadAllTextAsync(file, ct)).Trim();
        if (secret.Length == 0) return false;
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = @hash AND role = 'admin' AND revoked_at IS NULL)",
            new { hash = ApiKeys.Hash(secret) }, tx, cancellationToken: ct));
    }

    private static void WriteOwnerOnly(string file, string secret)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (directory is not null) Directory.CreateDirectory(directory);
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, secret + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, file, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the bootstrap admin key {Prefix}... and wrote it to {File}")]
    private partial void LogCreated(string prefix, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin API key exists and {Section}:AdminKeyFile is not set: set it so the gateway can create one at start")]
    private partial void LogNoAdminKeyFile(string section);
}
