using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Writes a health report as JSON: every check's name, status and duration. In Development a check's description (for a
/// failing one, usually its exception's message) is included so a developer sees why; elsewhere /health is anonymous,
/// so a failing check's description and exception stay in the logs (the health check service logs each failure) and
/// only healthy checks' descriptions are written.
/// </summary>
internal static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var detailed = context.RequestServices.GetRequiredService<IHostEnvironment>().IsDevelopment();
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = Description(e.Value, detailed),
                durationMs = e.Value.Duration.TotalMilliseconds,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }

    internal static string? Description(HealthReportEntry entry, bool detailed) =>
        detailed ? entry.Description ?? entry.Exception?.Message
        : entry.Status == HealthStatus.Healthy && entry.Exception is null ? entry.Description
        : null;
}
