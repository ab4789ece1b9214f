using System.ComponentModel.DataAnnotations;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Deployment.Apis;

public sealed record StartRolloutRequest([property: Required] string? Domain, [property: Required] string? Version, IReadOnlyList<double>? Steps, double? MinStepSeconds, long? MinSamples, double? FirstWeight = null);
public sealed record RolloutCommandRequest(string? Reason);
public sealed record SetWeightRequest([property: Required] double? Weight, string? Reason);
/// <param name="Speed">"immediate" (default) or "gradual".</param>
/// <param name="Steps">A gradual rollback's steps (1 to 20, default 3), equal ones down to 0.</param>
/// <param name="StepSeconds">Seconds between a gradual rollback's steps (0 to 86400, default 60).</param>
/// <param name="At">When to roll back (a scheduled rollback); absent: now.</param>
public sealed record RollbackRolloutRequest(string? Reason, string? Speed, int? Steps, double? StepSeconds, DateTimeOffset? At);

public static class RolloutsApi
{
    /// <summary>The longest a canary step may be asked to last (7 days), as for the DefaultMinStepDuration setting.</summary>
    public const double MaxMinStepSeconds = 7 * 24 * 3600;
    public const long MaxMinSamples = 1_000_000_000;

    public static RouteGroupBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/rollouts").WithTags("Rollouts").WithProblemDetails();

        api.MapPost("/", Start).Documented("StartRollout", "Start a canary rollout",
            "Moves traffic to a registered version step by step. The rollout's own steps, minStepSeconds and minSamples win; what it leaves out comes from the domain's rollout defaults, else the platform's (1, 10, 50, 100 percent; Deployment:DefaultMinStepDuration; the domain's rollback minSamples). firstWeight starts at a larger weight, then follows the steps above it. Each step lasts at least minStepSeconds and needs minSamples samples a side; experimentation's Analyze decides continue, hold or rollback. The rollout carries estimatedStepSeconds from the domain's recent traffic (null with estimateReason when no rate is known) and estimateWarning when a step needs more than an hour. minStepSeconds is 0 to 604800 (7 days), minSamples 2 to 1,000,000,000.", 400, 404, 409, 422, 502);
        api.MapGet("/", List).Documented("ListRollouts", "List rollouts", "Rollouts, newest first, optionally by domain and status (running, paused, succeeded, rolled_back, aborted; any case, RolledBack too); an unknown status is a 400.", 400);
        api.MapGet("/{id:guid}", Get).Documented("GetRollout", "Get a rollout with its decisions", "The rollout's state and every decision with the verdict and figures behind it.", 404);
        api.MapPost("/{id:guid}/promote", (Guid id, RolloutCommandRequest? r, DeploymentService d, HttpContext h, CancellationToken ct) => Command(id, DeploymentService.ManualCommand.Promote, r, d, h, ct))
            .Documented("PromoteRollout", "Promote to the next step now", "Moves the canary to its next step (or completes it) without waiting for analysis.", 404, 409);
        api.MapPost("/{id:guid}/pause", (Guid id, RolloutCommandRequest? r, DeploymentService d, HttpContext h, CancellationToken ct) => Command(id, DeploymentService.ManualCommand.Pause, r, d, h, ct))
            .Documented("PauseRollout", "Pause a rollout", "Keeps the current weights; the controller stops analysing it.", 404, 409);
        api.MapPost("/{id:guid}/resume", (Guid id, RolloutCommandRequest? r, DeploymentService d, HttpContext h, CancellationToken ct) => Command(id, DeploymentService.ManualCommand.Resume, r, d, h, ct))
            .Documented("ResumeRollout", "Resume a paused rollout", "The current step starts over (its minimum duration counts from now).", 404, 409);
        api.MapPost("/{id:guid}/weight", SetWeight)
            .Documented("SetRolloutWeight", "Set the canary's weight now",
                "Moves the canary to { weight } percent (above 0, below 100) at once, running or paused; a new analysis phase starts (the step's clock and samples count from now) with a new estimate. The next advance goes to the first planned step above the weight.", 400, 404, 409);
        api.MapPost("/{id:guid}/rollback", RollBack)
            .Documented("RollbackRollout", "Roll a rollout back at a chosen speed, now or at a time",
                "{ reason, speed?, steps?, stepSeconds?, at? }: speed \"immediate\" (default) sends all of the canary's traffic back to the stable version at once; \"gradual\" lowers its weight in equal steps (steps: 1 to 20, default 3) to 0, one every stepSeconds (0 to 86400, default 60), the analysis no longer moving it meanwhile. Without at the rollback is of type manual and starts now; with at (a future time) it is of type scheduled and starts then, the rollout going on as before until that time. The rollout shows it as pendingRollback; the end publishes RollbackPerformed with the type and reason.", 400, 404, 409);
        api.MapPost("/{id:guid}/abort", (Guid id, RolloutCommandRequest? r, DeploymentService d, HttpContext h, CancellationToken ct) => Command(id, DeploymentService.ManualCommand.Abort, r, d, h, ct))
            .Documented("AbortRollout", "Abort a rollout", "Sends all traffic back to the stable version and publishes RollbackPerformed.", 404, 409);
        return api;
    }

    public static async Task<Created<RolloutView>> Start(StartRolloutRequest request, DeploymentService deployments, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Domain)) errors["domain"] = ["The domain is required."];
        // Checked before it becomes a TimeSpan, which cannot hold every double.
        if (request.MinStepSeconds is { } seconds && !(seconds is >= 0 and <= MaxMinStepSeconds))
        {
            errors["minStepSeconds"] = [$"minStepSeconds is between 0 and {MaxMinStepSeconds:0} (7 days)."];
        }
        if (request.MinSamples is { } samples && samples is < 2 or > MaxMinSamples) errors["minSamples"] = [$"minSamples is between 2 and {MaxMinSamples:N0} (the analysis compares at least two samples a side)."];
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);
        var rollout = await deployments.StartRolloutAsync(
            new StartRolloutCommand(request.Domain!, request.Version, request.Steps, request.MinStepSeconds, request.MinSamples, request.FirstWeight), ApiSupport.ActorOf(http), ct);
        return TypedResults.Created($"/api/rollouts/{rollout.Id}", rollout);
    }

    public static async Task<Ok<IReadOnlyList<RolloutView>>> List(string? domain, string? status, DeploymentService deployments, CancellationToken ct)
    {
        var canonical = status is null ? null : FilterValues.Canonical(status, StatusConverter<RolloutStatus>.Names, out var error)
            ?? throw DeploymentProblem.Invalid("status", error!);
        // Stored by the enum's name.
        var stored = canonical is null ? null : Enum.GetValues<RolloutStatus>().Single(s => StatusConverter<RolloutStatus>.Name(s) == canonical).ToString();
        return TypedResults.Ok(await deployments.ListRolloutsAsync(domain, stored, ct));
    }

    public static async Task<Ok<RolloutView>> Get(Guid id, DeploymentService deployments, CancellationToken ct) =>
        TypedResults.Ok(await deployments.GetRolloutAsync(id, ct) ?? throw DeploymentProblem.NotFound("Rollout", $"No rollout has the id {id}."));

    public static async Task<Ok<RolloutView>> RollBack(Guid id, RollbackRolloutRequest request, DeploymentService deployments, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await deployments.RollBackAsync(id, request.Reason, request.Speed, request.Steps, request.StepSeconds, request.At, ApiSupport.ActorOf(http), ct));

    public static async Task<Ok<RolloutView>> SetWeight(Guid id, SetWeightRequest request, DeploymentService deployments, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await deployments.CommandAsync(id, DeploymentService.ManualCommand.SetWeight, request.Reason, ApiSupport.ActorOf(http), ct, request.Weight));

    private static async Task<Ok<RolloutView>> Command(
        Guid id, DeploymentService.ManualCommand command, RolloutCommandRequest? request, DeploymentService deployments, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await deployments.CommandAsync(id, command, request?.Reason, ApiSupport.ActorOf(http), ct));
}
