using Dapper;
using DomainPlatform.Extraction.Domain;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Extraction.Data;

public sealed record ProfileRecord
{
    public string Domain { get; init; } = "";
    public string[] Keywords { get; init; } = [];
    /// <summary>"configuration" or "api" (stored; overrides the configured profile of the same domain).</summary>
    public string Origin { get; init; } = "api";
}

public sealed class ProfileStore(NpgsqlDataSource db, IOptions<ExtractionOptions> options)
{
    public async Task<ProfileRecord> UpsertAsync(string domain, string[] keywords, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO domain_profiles (domain, keywords) VALUES (@domain, @keywords)
            ON CONFLICT (domain) DO UPDATE SET keywords = EXCLUDED.keywords, updated_at = now()
            """, new { domain, keywords }, cancellationToken: ct));
        return new ProfileRecord { Domain = domain, Keywords = keywords, Origin = "api" };
    }

    /// <summary>Configured profiles overlaid by stored ones, ordered by domain.</summary>
    public async Task<IReadOnlyList<ProfileRecord>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var stored = (await connection.QueryAsync<ProfileRecord>(new CommandDefinition(
            "SELECT domain, keywords, 'api' AS origin FROM domain_profiles", cancellationToken: ct))).ToDictionary(p => p.Domain, StringComparer.Ordinal);
        foreach (var (domain, keywords) in options.Value.Profiles)
        {
            stored.TryAdd(domain, new ProfileRecord { Domain = domain, Keywords = keywords, Origin = "configuration" });
        }
        return stored.Values.OrderBy(p => p.Domain, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<DomainProfile>> ProfilesAsync(CancellationToken ct) =>
        (await ListAsync(ct)).Select(p => new DomainProfile(p.Domain, p.Keywords)).ToList();
}
