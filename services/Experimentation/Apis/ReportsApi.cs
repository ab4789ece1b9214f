using System.Text;
using System.Text.Json;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Experimentation.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Experimentation.Apis;

/// <summary>A report to generate: scope "domain" (with domain) or "platform"; the window as windowSeconds ending at untilUnixMs (default now), or sinceUnixMs to untilUnixMs.</summary>
public sealed record ReportRequest(string? Scope, string? Domain, int? WindowSeconds, long? SinceUnixMs, long? UntilUnixMs);

public sealed record ReportSummary(Guid Id, string Scope, string? Domain, DateTime WindowStart, DateTime WindowEnd, string Status, double Progress,
    Guid? ScheduleId, DateTime RequestedAt, DateTime? StartedAt, DateTime? CompletedAt, string? Error, string ContentUrl)
{
    public static ReportSummary From(ReportRow r) => new(r.Id, r.Scope, r.Domain, r.WindowStart, r.WindowEnd, r.Status, r.Progress, r.ScheduleId,
        r.RequestedAt, r.StartedAt, r.CompletedAt, r.Error, $"/api/reports/{r.Id}/content");
}

public sealed record ReportListQuery(string? Scope, string? Domain, int? Limit);

public sealed record ContentQuery(string? Format);

/// <summary>A schedule: scope and domain as a report's; cadence "daily" or "weekly"; hourUtc 0-23 (default 0); dayOfWeek for weekly (default monday).</summary>
public sealed record ScheduleRequest(string? Scope, string? Domain, string? Cadence, int? HourUtc, string? DayOfWeek);

public sealed record ScheduleView(Guid Id, string Scope, string? Domain, string Cadence, int HourUtc, string? DayOfWeek, DateTime NextRunAt,
    DateTime? LastRunAt, Guid? LastReportId, DateTime CreatedAt)
{
    /// <summary>A daily schedule shows no day of the week.</summary>
    public static ScheduleView From(ScheduleRow s) => new(s.Id, s.Scope, s.Domain, s.Cadence, s.HourUtc,
        s.Cadence == ReportCadences.Weekly ? ((DayOfWeek)s.DayOfWeek).ToString().ToLowerInvariant() : null,
        s.NextRunAt, s.LastRunAt, s.LastReportId, s.CreatedAt);
}

public static class ReportsApi
{
    private const long MaxUnixMs = 253402300799999;

    public static RouteGroupBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/reports").WithTags("Reports");
        api.MapPost("/", Create).WithName("CreateReport")
            .WithSummary("Queue a report (scope domain with domain, or platform) over windowSeconds ending at untilUnixMs (default now) or sinceUnixMs..untilUnixMs; 202 with its id and status, generated in the background")
            .WithDescription("windowSeconds: a multiple of 10 from 10 to 2678400 (31 days), default 86400; or sinceUnixMs (with untilUnixMs, default now) at most 31 days apart. A bad value is a 400 naming the field.");
        api.MapGet("/", List).WithName("ListReports")
            .WithSummary("Reports, newest first (?scope=, ?domain=, ?limit= up to 1000, default 100), each with status and progress (0-1)");
        api.MapGet("/{id:guid}", Get).WithName("GetReport").WithSummary("A report's status, progress and window")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/content", Content).WithName("GetReportContent")
            .WithSummary("A completed report's content: ?format=json (default), csv (one row per domain and version) or html (printable); or by Accept (text/csv, text/html); 409 until it is completed")
            .ProducesText(Export.CsvType, "text/html").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/schedules", CreateSchedule).WithName("CreateReportSchedule")
            .WithSummary("Schedule a daily or weekly report (scope, domain, cadence daily|weekly, hourUtc 0-23 default 0, dayOfWeek for weekly default monday); each run reports on the day or week ending then");
        api.MapGet("/schedules", async (ReportStore store, CancellationToken ct) =>
                TypedResults.Ok<IReadOnlyList<ScheduleView>>((await store.ListSchedulesAsync(ct)).Select(ScheduleView.From).ToArray()))
            .WithName("ListReportSchedules").WithSummary("Report schedules with their next run");
        api.MapGet("/schedules/{id:guid}", GetSchedule).WithName("GetReportSchedule").WithSummary("A report schedule, its next run and last report")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/schedules/{id:guid}", DeleteSchedule).WithName("DeleteReportSchedule").WithSummary("Remove a schedule (its reports stay)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static ProblemHttpResult NotFound(string what, Guid id) =>
        TypedResults.Problem(title: $"{what} not found", detail: $"No {what.ToLowerInvariant()} has the id {id}.", statusCode: StatusCodes.Status404NotFound);

    private static void CheckScope(string? scope, string? domain, Dictionary<string, string[]> errors)
    {
        if (scope is not (ReportScopes.Domain or ReportScopes.Platform)) errors["scope"] = ["scope is \"domain\" (with domain) or \"platform\"."];
        else if (scope == ReportScopes.Domain && WindowApi.DomainProblem(domain) is { } problem) errors["domain"] = [problem.Replace("?domain=...", "\"domain\"")];
        else if (scope == ReportScopes.Platform && domain is not null) errors["domain"] = ["A platform report covers every domain: leave domain out."];
    }

    public static async Task<Results<Accepted<ReportSummary>, ValidationProblem>> Create(ReportRequest request, ReportStore store, ReportSignal signal,
        TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckScope(request.Scope, request.Domain, errors);
        if (request.WindowSeconds is { } w && (w < 10 || w > ReportRules.MaxWindowSeconds || w % 10 != 0))
            errors["windowSeconds"] = [$"windowSeconds is a multiple of 10 from 10 to {ReportRules.MaxWindowSeconds} (31 days)."];
        if (request.WindowSeconds is not null && request.SinceUnixMs is not null)
            errors["windowSeconds"] = ["Give windowSeconds or sinceUnixMs, not both."];
        if (request.UntilUnixMs is < 0 or > MaxUnixMs) errors["untilUnixMs"] = ["untilUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        if (request.SinceUnixMs is < 0 or > MaxUnixMs) errors["sinceUnixMs"] = ["sinceUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var untilAt = request.UntilUnixMs is { } u ? DateTimeOffset.FromUnixTimeMilliseconds(u) : clock.GetUtcNow();
        var sinceAt = request.SinceUnixMs is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : untilAt.AddSeconds(-(request.WindowSeconds ?? 86_400));
        var (from, until) = (OutcomeMetrics.FirstBucketFrom(sinceAt), OutcomeMetrics.FirstBucketFrom(untilAt));
        if (from >= until) return Invalid("sinceUnixMs", "sinceUnixMs is at least 10 seconds before untilUnixMs.");
        if ((until - from).TotalSeconds > ReportRules.MaxWindowSeconds) return Invalid("sinceUnixMs", "A report covers at most 31 days.");
        var report = await store.QueueAsync(request.Scope!, request.Scope == ReportScopes.Domain ? request.Domain : null, from, until, clock.GetUtcNow().UtcDateTime, ct);
        signal.Notify();
        return TypedResults.Accepted($"/api/reports/{report.Id}", ReportSummary.From(report));
    }

    public static async Task<Results<Ok<IReadOnlyList<ReportSummary>>, ValidationProblem>> List([AsParameters] ReportListQuery query, ReportStore store, CancellationToken ct)
    {
        if (query.Limit is < 1 or > 1000) return Invalid("limit", "limit is between 1 and 1000.");
        if (query.Scope is not (null or ReportScopes.Domain or ReportScopes.Platform)) return Invalid("scope", "scope is \"domain\" or \"platform\".");
        return TypedResults.Ok<IReadOnlyList<ReportSummary>>((await store.ListAsync(query.Scope, query.Domain, query.Limit ?? 100, ct)).Select(ReportSummary.From).ToArray());
    }

    public static async Task<Results<Ok<ReportSummary>, ProblemHttpResult>> Get(Guid id, ReportStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } report ? TypedResults.Ok(ReportSummary.From(report)) : NotFound("Report", id);

    public static async Task<Results<Ok<ReportContent>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Content(Guid id,
        [AsParameters] ContentQuery query, HttpRequest request, ReportStore store, CancellationToken ct)
    {
        var (format, errors) = Export.Negotiate(request, query.Format, Export.Json, Export.Csv, Export.Html);
        if (errors is not null) return TypedResults.ValidationProblem(errors);
        if (await store.FindAsync(id, ct) is not { } report) return NotFound("Report", id);
        if (report.Status != ReportStatuses.Completed || await store.ContentAsync(id, ct) is not { } json)
            return TypedResults.Problem(title: "Report not ready", statusCode: StatusCodes.Status409Conflict,
                detail: report.Status == ReportStatuses.Failed ? $"The report failed: {report.Error}" : $"The report is {report.Status} ({report.Progress:P0}); its content comes when it is completed.");
        var content = JsonSerializer.Deserialize<ReportContent>(json, ReportJson.Options)!;
        var name = $"report-{(content.Domain ?? "platform")}-{content.WindowStart:yyyyMMddTHHmmss}";
        return format switch
        {
            Export.Csv => TypedResults.File(Encoding.UTF8.GetBytes(ReportRules.ToCsv(content)), Export.CsvType + "; charset=utf-8", name + ".csv"),
            Export.Html => TypedResults.File(Encoding.UTF8.GetBytes(ReportRules.ToHtml(content)), "text/html; charset=utf-8"),
            _ => TypedResults.Ok(content),
        };
    }

    public static async Task<Results<Created<ScheduleView>, ValidationProblem>> CreateSchedule(ScheduleRequest request, ReportStore store, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckScope(request.Scope, request.Domain, errors);
        if (request.Cadence is not (ReportCadences.Daily or ReportCadences.Weekly)) errors["cadence"] = ["cadence is \"daily\" or \"weekly\"."];
        if (request.HourUtc is < 0 or > 23) errors["hourUtc"] = ["hourUtc is an hour from 0 to 23 (UTC)."];
        var day = DayOfWeek.Monday;
        if (request.DayOfWeek is { } given)
        {
            if (int.TryParse(given, out _) || !Enum.TryParse(given, ignoreCase: true, out day) || !Enum.IsDefined(day))
                errors["dayOfWeek"] = ["dayOfWeek is monday, tuesday, wednesday, thursday, friday, saturday or sunday."];
            else if (request.Cadence == ReportCadences.Daily)
                errors["dayOfWeek"] = ["A daily schedule runs every day: leave dayOfWeek out."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var hour = request.HourUtc ?? 0;
        var next = ReportCadences.NextRun(request.Cadence!, hour, day, clock.GetUtcNow());
        var schedule = await store.CreateScheduleAsync(request.Scope!, request.Scope == ReportScopes.Domain ? request.Domain : null, request.Cadence!, hour, (int)day, next, ct);
        return TypedResults.Created($"/api/reports/schedules/{schedule.Id}", ScheduleView.From(schedule));
    }

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> GetSchedule(Guid id, ReportStore store, CancellationToken ct) =>
        await store.FindScheduleAsync(id, ct) is { } s ? TypedResults.Ok(ScheduleView.From(s)) : NotFound("Schedule", id);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSchedule(Guid id, ReportStore store, CancellationToken ct) =>
        await store.DeleteScheduleAsync(id, ct) ? TypedResults.NoContent() : NotFound("Schedule", id);
}
