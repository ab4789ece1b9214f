using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp reports: experimentation's /api/reports (create and follow, list, show, download) and its schedules.</summary>
public static class ReportsCommands
{
    private static readonly string[] Ended = ["completed", "failed"];

    public static Command Build(CommandSupport support)
    {
        var reports = new Command("reports", "Health and performance reports per domain or for the platform: on demand and on a schedule.");
        reports.Subcommands.Add(Create(support));
        reports.Subcommands.Add(List(support));
        reports.Subcommands.Add(Show(support));
        reports.Subcommands.Add(Download(support));
        reports.Subcommands.Add(Schedules(support));
        return reports;
    }

    private static Command Create(CommandSupport support)
    {
        var domain = new Option<string?>("--domain") { Description = "One domain's report (else --platform)." };
        var platform = new Option<bool>("--platform") { Description = "The platform's report: every domain with traffic." };
        var window = new Option<int?>("--window-seconds") { Description = "The window ending now (a multiple of 10, default 86400: a day)." };
        var follow = new Option<bool>("--follow") { Description = "Wait until the report is generated, then show it." };
        var interval = RolloutsCommands.IntervalOption();
        var command = new Command("create", "Queue a report (generated in the background). Exit 4 when a followed report fails.") { domain, platform, window, follow, interval };
        support.Handle(command, async (run, ct) =>
        {
            var body = new JsonObject { ["scope"] = Scope(run.Value(domain), run.Value(platform)) };
            Values.Put(body, "domain", run.Value(domain));
            Values.Put(body, "windowSeconds", run.Value(window));
            var response = await run.Api.PostAsync("api/reports", body, ct);
            if (!run.Value(follow)) return run.Show(response, Summary);
            if (!(run.Value(interval) is >= 0.05 and <= 3600)) throw new UsageException("--interval is between 0.05 and 3600 seconds");
            var path = $"api/reports/{ApiClient.Segment(response.Json.Str("id"))}";
            var polling = new Polling(run, path, TimeSpan.FromSeconds(run.Value(interval)));
            string? last = null;
            while (!Ended.Contains(response.Json.Str("status")))
            {
                var line = $"{response.Json.Str("status")} {Views.Percent(Math.Round((response.Json.Num("progress") ?? 0) * 100, 1))}";
                if (line != last && !run.Json) run.Console.WriteLine(line);
                last = line;
                response = await polling.NextAsync(ct);
            }
            run.Show(response, Summary);
            return response.Json.Str("status") == "completed" ? ExitCodes.Ok : ExitCodes.Unsuccessful;
        });
        return command;
    }

    private static Command List(CommandSupport support)
    {
        var domain = new Option<string?>("--domain") { Description = "Only this domain's reports." };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1-1000, default 100)." };
        var command = new Command("list", "Reports, newest first.") { domain, limit };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.GetAsync("api/reports" + ApiClient.Query(("domain", run.Value(domain)),
                ("limit", run.Value(limit)?.ToString(CultureInfo.InvariantCulture))), ct);
            return run.Show(response, list => Views.List(list, "reports", Views.Table("ID", "SCOPE", "DOMAIN", "WINDOW", "STATUS", "SCHEDULE", "REQUESTED"),
                (t, r) => t.Row(r.Str("id"), r.Str("scope"), r.Str("domain"), $"{r.When("windowStart")} - {r.When("windowEnd")}", r.Str("status"),
                    r.Str("scheduleId"), r.When("requestedAt"))));
        });
        return command;
    }

    private static Command Show(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The report's id." };
        var command = new Command("show", "A report's status and, once completed, each version's health, SLA state and figures.") { id };
        support.Handle(command, async (run, ct) =>
        {
            var path = $"api/reports/{ApiClient.Segment(run.Value(id))}";
            var summary = await run.Api.GetAsync(path, ct);
            if (summary.Json.Str("status") != "completed") return run.Show(summary, Summary);
            return run.Show(await run.Api.GetAsync(path + "/content", ct), Content);
        });
        return command;
    }

    private static Command Download(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The report's id." };
        var format = new Option<string>("--format") { Description = "json, csv or html (printable).", DefaultValueFactory = _ => "json" };
        var output = new Option<string?>("--out") { Description = "Write to this file instead of standard output." };
        var command = new Command("download", "A completed report's content as JSON, CSV or printable HTML.") { id, format, output };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.GetAsync($"api/reports/{ApiClient.Segment(run.Value(id))}/content?format={Uri.EscapeDataString(run.Value(format)!)}", ct);
            if (run.Value(output) is { Length: > 0 } file)
            {
                await File.WriteAllTextAsync(file, response.Body, ct);
                run.Console.WriteLine($"wrote {file} ({response.Body.Length} characters)");
            }
            else
            {
                await run.Context.Output.WriteAsync(response.Body);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Schedules(CommandSupport support)
    {
        var schedules = new Command("schedules", "Reports generated daily or weekly.");
        var domain = new Option<string?>("--domain") { Description = "One domain's report (else --platform)." };
        var platform = new Option<bool>("--platform") { Description = "The platform's report." };
        var cadence = new Option<string>("--cadence") { Description = "daily or weekly.", Required = true };
        var hour = new Option<int?>("--hour-utc") { Description = "The hour it runs (0-23 UTC, default 0)." };
        var day = new Option<string?>("--day") { Description = "Weekly: the day it runs (monday-sunday, default monday)." };
        var create = new Command("create", "Add a schedule.") { domain, platform, cadence, hour, day };
        support.Handle(create, async (run, ct) =>
        {
            var body = new JsonObject { ["scope"] = Scope(run.Value(domain), run.Value(platform)), ["cadence"] = run.Value(cadence) };
            Values.Put(body, "domain", run.Value(domain));
            Values.Put(body, "hourUtc", run.Value(hour));
            Values.Put(body, "dayOfWeek", run.Value(day));
            return run.Show(await run.Api.PostAsync("api/reports/schedules", body, ct), Schedule);
        });
        var list = new Command("list", "The schedules with their next run.");
        support.Handle(list, async (run, ct) => run.Show(await run.Api.GetAsync("api/reports/schedules", ct),
            items => Views.List(items, "schedules", Views.Table("ID", "SCOPE", "DOMAIN", "CADENCE", "NEXT RUN", "LAST RUN", "LAST REPORT"),
                (t, s) => t.Row(s.Str("id"), s.Str("scope"), s.Str("domain"), When(s), s.When("nextRunAt"), s.When("lastRunAt"), s.Str("lastReportId")))));
        var id = new Argument<string>("id") { Description = "The schedule's id." };
        var delete = new Command("delete", "Remove a schedule (its reports stay).") { id };
        support.Handle(delete, async (run, ct) =>
            run.Done(await run.Api.DeleteAsync($"api/reports/schedules/{ApiClient.Segment(run.Value(id))}", ct), $"deleted schedule {run.Value(id)}"));
        schedules.Subcommands.Add(create);
        schedules.Subcommands.Add(list);
        schedules.Subcommands.Add(delete);
        return schedules;
    }

    private static string Scope(string? domain, bool platform) => (domain, platform) switch
    {
        ({ Length: > 0 }, true) => throw new UsageException("give --domain D or --platform, not both"),
        ({ Length: > 0 }, false) => "domain",
        (_, true) => "platform",
        _ => throw new UsageException("give --domain D for one domain's report or --platform for the platform's"),
    };

    private static string When(JsonElement schedule) =>
        schedule.Str("cadence") + " at " + schedule.Str("hourUtc") + ":00 UTC" + (schedule.Str("cadence") == "weekly" ? " on " + schedule.Str("dayOfWeek") : "");

    public static IRenderable Summary(JsonElement r) => Views.Details(
    [
        ("id", r.Str("id")),
        ("scope", r.Str("scope") + (r.Str("domain") is { Length: > 0 } d ? $" {d}" : "")),
        ("window", $"{r.When("windowStart")} - {r.When("windowEnd")}"),
        ("status", r.Str("status") + (r.Str("error") is { Length: > 0 } e ? $": {e}" : "")),
        ("progress", Views.Percent(Math.Round((r.Num("progress") ?? 0) * 100, 1))),
        ("requested", r.When("requestedAt")),
        ("completed", r.When("completedAt")),
        ("content", r.Str("contentUrl")),
    ]);

    public static IRenderable Content(JsonElement report)
    {
        var table = Views.Table("DOMAIN", "VERSION", "ROUTES", "HEALTH", "SLA", "REQUESTS", "ERROR RATE", "P95 MS", "COST/REQ", "VIOLATIONS");
        foreach (var domain in report.Items("domains"))
        {
            foreach (var v in domain.Items("versions"))
            {
                table.Row(domain.Str("domain"), v.Str("modelVersion"), v.Str("routes"), v.Num("healthScore") is { } h ? Json.Number(Math.Round(h, 1)) : "",
                    v.Str("slaState"), v.Str("figures.requests"), v.Str("figures.errorRate"), v.Str("figures.latency.p95Ms"), v.Str("figures.cost.costPerRequest"),
                    v.Items("violations").Count().ToString(CultureInfo.InvariantCulture));
            }
        }
        return Views.Stack(Views.Details([("report", report.Str("id")), ("scope", report.Str("scope")), ("window", $"{report.When("windowStart")} - {report.When("windowEnd")}")]), table);
    }

    private static IRenderable Schedule(JsonElement s) => Views.Details(
    [
        ("id", s.Str("id")), ("scope", s.Str("scope") + (s.Str("domain") is { Length: > 0 } d ? $" {d}" : "")), ("runs", When(s)), ("next run", s.When("nextRunAt")),
    ]);
}
