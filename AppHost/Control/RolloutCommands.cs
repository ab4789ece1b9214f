using System.Net.Http.Json;
using System.Text.Json;

namespace DomainPlatform.AppHost.Control;

/// <summary>
/// Operator commands on the deployment resource in the Aspire dashboard: pause every running rollout, resume every
/// paused one, abort every active one. Each calls the deployment service's own API (the same call `dp rollouts pause`
/// makes through the gateway), so every rollout records the decision in its history and the audit log, with the
/// dashboard as the actor.
/// </summary>
public static class RolloutCommands
{
    /// <summary>The actor recorded in each rollout's decision and the audit log.</summary>
    public const string Actor = "aspire-dashboard";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private sealed record Command(string Name, string DisplayName, string Description, string From, string Action, string Icon, string? Confirmation);

    private static readonly Command[] Commands =
    [
        new("pause-rollouts", "Pause rollouts", "Pause every running canary rollout: its traffic split stays, no step is analysed.", "running", "pause", "Pause", null),
        new("resume-rollouts", "Resume rollouts", "Resume every paused canary rollout where it stopped.", "paused", "resume", "Play", null),
        new("abort-rollouts", "Abort rollouts", "Abort every running or paused rollout: all traffic goes back to the stable version.", "running,paused", "abort", "Stop",
            "Abort every active rollout and send all traffic back to the stable versions?"),
    ];

    public static IResourceBuilder<ProjectResource> WithRolloutCommands(this IResourceBuilder<ProjectResource> deployment)
    {
        var endpoint = deployment.GetEndpoint("http");
        foreach (var command in Commands)
        {
            deployment.WithCommand(command.Name, command.DisplayName,
                context => RunAsync(endpoint, command, context.CancellationToken),
                new CommandOptions
                {
                    Description = command.Description,
                    IconName = command.Icon,
                    ConfirmationMessage = command.Confirmation,
                    // Only a running service can take the call.
                    UpdateState = context => context.ResourceSnapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                        ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                });
        }
        return deployment;
    }

    private static async Task<ExecuteCommandResult> RunAsync(EndpointReference endpoint, Command command, CancellationToken ct)
    {
        var baseUrl = new Uri(endpoint.Url + "/");
        var targets = new List<JsonElement>();
        foreach (var status in command.From.Split(','))
        {
            var listed = await Http.GetFromJsonAsync<JsonElement>(new Uri(baseUrl, $"api/rollouts?status={status}"), ct);
            targets.AddRange(listed.EnumerateArray());
        }
        if (targets.Count == 0) return CommandResults.Success($"No {command.From.Replace(",", " or ", StringComparison.Ordinal)} rollout to {command.Action}.");

        var done = new List<string>();
        var refused = new List<string>();
        foreach (var rollout in targets)
        {
            var id = rollout.GetProperty("id").GetString();
            var name = $"{rollout.GetProperty("domain").GetString()} {rollout.GetProperty("candidateVersion").GetString()}";
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, $"api/rollouts/{id}/{command.Action}"))
            {
                Content = JsonContent.Create(new { reason = $"{command.DisplayName.ToLowerInvariant()} from the Aspire dashboard" }),
            };
            request.Headers.Add("X-Actor", Actor);
            using var response = await Http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode) done.Add(name);
            else refused.Add($"{name}: {(int)response.StatusCode} {await ProblemDetailOf(response, ct)}");
        }
        var message = $"{Past(command.Action)} {done.Count} of {targets.Count}" + (done.Count > 0 ? $" ({string.Join(", ", done)})" : "");
        return refused.Count == 0 ? CommandResults.Success(message) : CommandResults.Failure($"{message}; refused: {string.Join("; ", refused)}");
    }

    private static string Past(string action) => action switch { "pause" => "Paused", "resume" => "Resumed", _ => "Aborted" };

    private static async Task<string> ProblemDetailOf(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
