using System.Net;
using Xunit;

namespace DomainPlatform.TestSupport;

/// <summary>The readiness contract every service keeps: red while its Postgres is unreachable, green once it returns.</summary>
public static class Readiness
{
    public static async Task FollowsPostgresAsync<TProgram>(ServiceFactory<TProgram> factory) where TProgram : class
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        // The bus connects in the background after start, so readiness turns green shortly after boot.
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness after start");

        factory.PostgresProxy.Stop();
        var down = await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "readiness to fail");
        var report = await down.Content.ReadAsStringAsync(ct);
        // The check of the Aspire Npgsql integration ("PostgreSql").
        if (!report.Contains("\"PostgreSql\"", StringComparison.Ordinal))
            throw new InvalidOperationException($"The failing readiness report does not name Postgres: {report}");
        var alive = await client.GetAsync("/alive", ct);
        if (alive.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"Liveness must not depend on Postgres, but /alive answered {(int)alive.StatusCode}.");

        factory.PostgresProxy.Start();
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness to recover");
    }
}
