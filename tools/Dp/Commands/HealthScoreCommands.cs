using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>
/// dp domains health and dp domains sla: experimentation's health score per version (/api/metrics/health) and the
/// domain's SLA targets (/api/alerts/sla/{domain}).
/// </summary>
public static class HealthScoreCommands
{
    public static Command Health(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The domain's id." };
        var version = new Option<string?>("--version") { Description = "Only this model version." };
        var window = new Option<int?>("--window-seconds") { Description = "Judge this window instead of the SLA's (a multiple of 10)." };
        var command = new Command("health", "Health score and SLA state of each version of a domain, with the targets breached. Exit 4 when one is violated.") { id, version, window };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.GetAsync("api/metrics/health" + ApiClient.Query(("domain", run.Value(id)), ("modelVersion", run.Value(version)),
                ("windowSeconds", run.Value(window)?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct);
            var violated = response.Json.Items("versions").Any(v => v.Str("state") == "violated");
            run.Show(response, HealthView);
            return violated ? ExitCodes.Unsuccessful : ExitCodes.Ok;
        });
        return command;
    }

    public static Command Sla(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The domain's id." };
        var latency = new Option<double?>("--latency-p95-ms") { Description = "Target p95 latency in ms." };
        var errorRate = new Option<double?>("--max-error-rate") { Description = "Highest error rate, 0-1." };
        var availability = new Option<double?>("--min-availability") { Description = "Lowest availability, 0-1." };
        var accuracy = new Option<double?>("--min-accuracy") { Description = "Lowest accuracy from feedback, 0-1." };
        var window = new Option<int?>("--window-seconds") { Description = "The window the targets are judged over (a multiple of 10)." };
        var command = new Command("sla", "Show a domain's SLA targets, or set them: each option given changes its target, the others keep theirs.")
            { id, latency, errorRate, availability, accuracy, window };
        support.Handle(command, async (run, ct) =>
        {
            var path = $"api/alerts/sla/{ApiClient.Segment(run.Value(id))}";
            var current = await run.Api.GetAsync(path, ct);
            var changes = new (string Field, double? Value)[]
            {
                ("latencyP95Ms", run.Value(latency)), ("maxErrorRate", run.Value(errorRate)), ("minAvailability", run.Value(availability)),
                ("minAccuracy", run.Value(accuracy)), ("windowSeconds", run.Value(window)),
            };
            if (changes.All(c => c.Value is null)) return run.Show(current, SlaView);
            var body = new JsonObject();
            foreach (var field in new[] { "latencyP95Ms", "maxErrorRate", "minAvailability", "minAccuracy", "windowSeconds" })
            {
                if (current.Json.Num(field) is { } value) body[field] = value;
            }
            foreach (var (field, value) in changes.Where(c => c.Value is not null)) body[field] = value;
            return run.Show(await run.Api.PutAsync(path, body, ct), SlaView);
        });
        return command;
    }

    public static IRenderable HealthView(JsonElement health)
    {
        var versions = Views.List(health.Get("versions") ?? default, "versions with traffic", Views.Table("VERSION", "SCORE", "STATE", "BREACHED"),
            (t, v) => t.Row(v.Str("modelVersion"), v.Num("score") is { } s ? Json.Number(Math.Round(s, 1)) : "", v.Str("state"),
                string.Join("; ", v.Items("breaches").Select(b => b.Str("reason")))));
        var parts = Views.Table("VERSION", "TARGET", "VALUE", "THRESHOLD", "PART SCORE", "MET");
        foreach (var version in health.Items("versions"))
        {
            foreach (var part in version.Items("components"))
            {
                parts.Row(version.Str("modelVersion"), part.Str("target"), part.Str("value"), part.Str("threshold"), part.Str("score"), part.Str("met"));
            }
        }
        return Views.Stack(Views.Details([("domain", health.Str("domain")), ("window", $"{health.When("windowStart")} - {health.When("windowEnd")} ({health.Str("windowSeconds")} s)")]),
            versions, parts);
    }

    public static IRenderable SlaView(JsonElement sla) => Views.Details(
    [
        ("domain", sla.Str("domain") + (sla.Str("isDefault") == "true" ? " (platform defaults: no SLA of its own)" : "")),
        ("latency p95", sla.Str("latencyP95Ms") + " ms"),
        ("max error rate", sla.Str("maxErrorRate")),
        ("min availability", sla.Str("minAvailability")),
        ("min accuracy", sla.Str("minAccuracy")),
        ("window", sla.Str("windowSeconds") + " s"),
        ("updated", sla.When("updatedAt")),
    ]);
}
