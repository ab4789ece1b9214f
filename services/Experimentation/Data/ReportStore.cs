using Dapper;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

public sealed record ReportRow
{
    public Guid Id { get; init; }
    public string Scope { get; init; } = "";
    public string? Domain { get; init; }
    public DateTime WindowStart { get; init; }
    public DateTime WindowEnd { get; init; }
    public string Status { get; init; } = "";
    public double Progress { get; init; }
    public Guid? ScheduleId { get; init; }
    public DateTime RequestedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public string? Error { get; init; }
}

public sealed record ScheduleRow
{
    public Guid Id { get; init; }
    public string Scope { get; init; } = "";
    public string? Domain { get; init; }
    public string Cadence { get; init; } = "";
    public int HourUtc { get; init; }
    public int DayOfWeek { get; init; }
    public DateTime NextRunAt { get; init; }
    public DateTime? LastRunAt { get; init; }
    public Guid? LastReportId { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>Reports and their schedules. A worker leases a report while it generates it; a due schedule is claimed and advanced with its report queued, in one transaction.</summary>
public sealed class ReportStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, scope, domain, window_start AS WindowStart, window_end AS WindowEnd, status, progress, schedule_id AS ScheduleId,
        requested_at AS RequestedAt, started_at AS StartedAt, completed_at AS CompletedAt, error
        """;

    private const string ScheduleColumns = """
        id, scope, domain, cadence, hour_utc AS HourUtc, day_of_week AS DayOfWeek, next_run_at AS NextRunAt, last_run_at AS LastRunAt,
        last_report_id AS LastReportId, created_at AS CreatedAt
        """;

    private static Task<ReportRow> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string scope, string? domain, DateTime from, DateTime until,
        Guid? scheduleId, DateTime at, CancellationToken ct) =>
        connection.QuerySingleAsync<ReportRow>(new CommandDefinition($"""
            INSERT INTO reports (id, scope, domain, window_start, window_end, status, schedule_id, requested_at)
            VALUES (@id, @scope, @domain, @from, @until, '{ReportStatuses.Queued}', @scheduleId, @at)
            RETURNING {Columns}
            """, new { id = Guid.CreateVersion7(), scope, domain, from, until, scheduleId, at }, tx, cancellationToken: ct));

    public async Task<ReportRow> QueueAsync(string scope, string? domain, DateTime from, DateTime until, DateTime at, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await InsertAsync(connection, null, scope, domain, from, until, null, at, ct);
    }

    public async Task<IReadOnlyList<ReportRow>> ListAsync(string? scope, string? domain, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ReportRow>(new CommandDefinition($"""
            SELECT {Columns} FROM reports
            WHERE (@scope::text IS NULL OR scope = @scope) AND (@domain::text IS NULL OR domain = @domain)
            ORDER BY requested_at DESC, id DESC LIMIT @limit
            """, new { scope, domain, limit }, cancellationToken: ct))).AsList();
    }

    public async Task<ReportRow?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ReportRow>(new CommandDefinition(
            $"SELECT {Columns} FROM reports WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>The stored content (JSON) of a completed report, or null.</summary>
    public async Task<string?> ContentAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT content::text FROM reports WHERE id = @id AND status = 'completed'", new { id }, cancellationToken: ct));
    }

    /// <summary>Leases the oldest queued report, or a running one whose lease lapsed (its replica died), to <paramref name="owner"/>.</summary>
    public async Task<ReportRow?> ClaimAsync(string owner, DateTime now, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ReportRow>(new CommandDefinition($"""
            UPDATE reports SET status = '{ReportStatuses.Running}', lease_owner = @owner, lease_until = @until, started_at = @now, progress = 0
            WHERE id = (SELECT id FROM reports
                        WHERE status = '{ReportStatuses.Queued}' OR (status = '{ReportStatuses.Running}' AND lease_until < @now)
                        ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {Columns}
            """, new { owner, now, until = now + lease }, cancellationToken: ct));
    }

    /// <summary>Records progress and renews the lease; false when the lease was lost (another replica took the report over).</summary>
    public async Task<bool> ProgressAsync(Guid id, string owner, double progress, DateTime leaseUntil, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE reports SET progress = @progress, lease_until = @leaseUntil
            WHERE id = @id AND lease_owner = @owner AND status = '{ReportStatuses.Running}'
            """, new { id, owner, progress, leaseUntil }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> CompleteAsync(Guid id, string owner, string contentJson, DateTime at, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE reports SET status = '{ReportStatuses.Completed}', progress = 1, content = @contentJson::jsonb, completed_at = @at, lease_until = NULL
            WHERE id = @id AND lease_owner = @owner AND status = '{ReportStatuses.Running}'
            """, new { id, owner, contentJson, at }, cancellationToken: ct)) == 1;
    }

    public async Task FailAsync(Guid id, string owner, string error, DateTime at, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE reports SET status = '{ReportStatuses.Failed}', error = @error, completed_at = @at, lease_until = NULL
            WHERE id = @id AND lease_owner = @owner AND status = '{ReportStatuses.Running}'
            """, new { id, owner, error, at }, cancellationToken: ct));
    }

    public async Task<ScheduleRow> CreateScheduleAsync(string scope, string? domain, string cadence, int hourUtc, int dayOfWeek, DateTime nextRunAt, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<ScheduleRow>(new CommandDefinition($"""
            INSERT INTO report_schedules (id, scope, domain, cadence, hour_utc, day_of_week, next_run_at)
            VALUES (@id, @scope, @domain, @cadence, @hourUtc, @dayOfWeek, @nextRunAt)
            RETURNING {ScheduleColumns}
            """, new { id = Guid.CreateVersion7(), scope, domain, cadence, hourUtc, dayOfWeek, nextRunAt }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ScheduleRow>> ListSchedulesAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleColumns} FROM report_schedules ORDER BY created_at, id", cancellationToken: ct))).AsList();
    }

    public async Task<ScheduleRow?> FindScheduleAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleColumns} FROM report_schedules WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<bool> DeleteScheduleAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM report_schedules WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// Claims every schedule due at <paramref name="now"/> (rows another replica holds are skipped), queues each one's
    /// report for the day or week ending at its run time, and moves it to its next run after now, all in one transaction:
    /// each occurrence is run by one replica, once. Returns the reports queued.
    /// </summary>
    public async Task<IReadOnlyList<ReportRow>> RunDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var due = (await connection.QueryAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleColumns} FROM report_schedules WHERE next_run_at <= @now ORDER BY next_run_at FOR UPDATE SKIP LOCKED",
            new { now = now.UtcDateTime }, tx, cancellationToken: ct))).AsList();
        var queued = new List<ReportRow>();
        foreach (var s in due)
        {
            var (from, until) = ReportCadences.WindowOf(s.Cadence, s.NextRunAt);
            var report = await InsertAsync(connection, tx, s.Scope, s.Domain, from, until, s.Id, now.UtcDateTime, ct);
            var next = ReportCadences.NextRun(s.Cadence, s.HourUtc, (DayOfWeek)s.DayOfWeek, now);
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE report_schedules SET next_run_at = @next, last_run_at = @ran, last_report_id = @report WHERE id = @id
                """, new { next, ran = s.NextRunAt, report = report.Id, s.Id }, tx, cancellationToken: ct));
            queued.Add(report);
        }
        await tx.CommitAsync(ct);
        return queued;
    }
}
