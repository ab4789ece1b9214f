using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;

namespace DomainPlatform.Dp.Commands;

/// <summary>
/// dp health: the gateway's readiness (/health: Postgres, Redis, RabbitMQ) and whether each service answers through it
/// (its OpenAPI document, listed by /api/openapi). The services' own /health is not reachable through the gateway.
/// </summary>
public static class HealthCommand
{
    public static Command Build(CommandSupport support)
    {
        var command = new Command("health", "Is the platform up: the gateway's checks and each service through the gateway. Exit 4 when anything is unhealthy.");
        support.Handle(command, async (run, ct) =>
        {
            var report = new JsonObject();
            var healthy = true;
            JsonElement gateway;
            try
            {
                gateway = (await run.Api.GetAsync("health", ct)).Json;
            }
            catch (ApiException e) when (e.Status == 503)
            {
                // Unhealthy answers 503 with the same report.
                gateway = JsonDocument.Parse(e.Body).RootElement.Clone();
            }
            healthy &= gateway.Str("status") == "Healthy";
            report["gateway"] = JsonNode.Parse(gateway.GetRawText());

            var services = new JsonArray();
            foreach (var document in (await run.Api.GetAsync("api/openapi", ct)).Json.Items())
            {
                var service = document.Str("service");
                if (service == "gateway") continue;
                var watch = Stopwatch.StartNew();
                string status;
                try
                {
                    await run.Api.GetAsync(document.Str("path"), ct);
                    status = "answering";
                }
                catch (ApiException e)
                {
                    status = $"{e.Status} {e.Title}";
                    healthy = false;
                }
                services.Add(new JsonObject { ["service"] = service, ["status"] = status, ["ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1) });
            }
            report["services"] = services;
            report["healthy"] = healthy;

            if (run.Json)
            {
                run.Context.Output.WriteLine(report.ToJsonString());
            }
            else
            {
                var checks = Views.Table("GATEWAY CHECK", "STATUS", "MS");
                foreach (var check in gateway.Items("checks")) checks.Row(check.Str("name"), check.Str("status"), Json.Number(Math.Round(check.Num("durationMs") ?? 0, 1)));
                var table = Views.Table("SERVICE", "THROUGH THE GATEWAY", "MS");
                foreach (var s in services) table.Row(s!["service"]!.ToString(), s["status"]!.ToString(), s["ms"]!.ToString());
                run.Console.Write(Views.Stack(
                    Views.Details([("gateway", $"{run.Api.Gateway} {gateway.Str("status")}")]), checks, table,
                    Views.Heading(healthy ? "healthy" : "NOT healthy")));
            }
            return healthy ? ExitCodes.Ok : ExitCodes.Unsuccessful;
        });
        return command;
    }
}
