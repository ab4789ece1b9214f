using System.ComponentModel.DataAnnotations;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace DomainPlatform.Deployment.Apis;

public sealed record DeployRequest([property: Required] string? Version);
/// <param name="At">When to roll back (type scheduled); absent: now (type manual).</param>
public sealed record RollbackRequest([property: Required] string? Version, [property: Required] string? Reason, DateTimeOffset? At = null);
public sealed record UndeployRequest([property: Required] string? Reason);

public static class DeploymentsApi
{
    public static RouteGroupBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/deployments").WithTags("Deployments").WithProblemDetails();

        api.MapGet("/", List).Documented("ListDeployments", "What serves each domain", "Stable version, canary version and weight, and the running rollout, per domain.");
        api.MapGet("/route-table", RouteTable).Documented("GetRouteTable", "The current route table",
            "The table the gateway follows (also on gRPC GetRouteTable and in RouteTableChanged events), with its revision.");
        api.MapGet("/automatic", Automatic).Documented("ListAutomaticDeployments", "Outcomes of automatic deployment",
            "For each TrainingCompleted event: registered version, whether a canary started, and if not, why.");
        api.MapGet("/{domain}", Get).Documented("GetDeployment", "What serves one domain", "Stable, canary and weight for one domain, the watch of its latest promotion (watch: version, previousVersion, status, until, lastVerdict, lastReason, figures) and its latest rollback (lastRollback: type, reason).", 404);
        api.MapGet("/{domain}/rollbacks", Rollbacks).Documented("ListRollbacks", "The domain's rollbacks",
            "Every rollback of the domain's traffic, newest first (limit 1 to 1000, default 100), with its type (emergency, automatic, gradual, manual, scheduled), reason, versions, rollout and actor: what RollbackPerformed published.", 400);
        api.MapPost("/{domain}/stable", Deploy).Documented("DeployStable", "Deploy a version as stable",
            "Puts a registered version on all of the domain's traffic at once (inference loads it first). Refused while a rollout runs; use a rollout to move traffic gradually. 422 when inference refuses the model file.", 400, 404, 409, 422, 502);
        api.MapPost("/{domain}/rollback", Rollback).Documented("RollbackToVersion", "Roll back to an earlier version",
            "Makes a registered version stable at once (type manual), publishing RollbackPerformed with the type and reason. With at (a future time) it is scheduled instead (type scheduled): the deployment shows it as scheduledRollback, it is made at that time and refused then for the same reasons (audited rollback-refused); a new one replaces it. Refused while a rollout runs (abort it instead).", 400, 404, 409, 422, 502);
        api.MapDelete("/{domain}/rollback", CancelRollback).Documented("CancelScheduledRollback", "Cancel the scheduled rollback",
            "Drops the domain's scheduled rollback (audited rollback-cancelled); 404 when none is scheduled.", 404);
        api.MapPost("/{domain}/undeploy", Undeploy).Documented("Undeploy", "Stop serving the domain's model",
            "Takes the stable version off the route table without archiving the domain: its versions and configuration stay, and a later POST /stable serves again. Needs a reason; refused while a rollout runs or an experiment holds the traffic.", 400, 404, 409);
        return api;
    }

    public static async Task<Ok<DeploymentView>> Undeploy(string domain, UndeployRequest request, DeploymentService deployments, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await deployments.UndeployAsync(domain, request.Reason, ApiSupport.ActorOf(http), ct));

    public static async Task<Ok<IReadOnlyList<DeploymentView>>> List(DeploymentService deployments, CancellationToken ct) =>
        TypedResults.Ok(await deployments.ListAsync(ct));

    public static async Task<Ok<RouteTableSnapshot>> RouteTable(RouteTables routeTables, CancellationToken ct) =>
        TypedResults.Ok(await routeTables.CurrentAsync(ct) ?? new RouteTableSnapshot());

    public static async Task<Ok<IReadOnlyList<AutoDeployment>>> Automatic(string? domain, NpgsqlDataSource db, CancellationToken ct) =>
        TypedResults.Ok(await TrainingCompletedConsumer.ListAsync(db, domain, ct));

    public static async Task<Ok<DeploymentView>> Get(string domain, DeploymentService deployments, CancellationToken ct) =>
        TypedResults.Ok(await deployments.GetAsync(domain, ct) ?? throw DeploymentProblem.NotFound("Deployment", $"Nothing is deployed for '{domain}'."));

    public static async Task<Ok<IReadOnlyList<RollbackView>>> Rollbacks(string domain, int? limit, DeploymentService deployments, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) throw DeploymentProblem.Invalid("limit", "limit is between 1 and 1000.");
        return TypedResults.Ok(await deployments.RollbacksAsync(domain, limit ?? 100, ct));
    }

    public static async Task<Ok<DeploymentView>> Deploy(string domain, DeployRequest request, DeploymentService deployments, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await deployments.SetStableAsync(domain, request.Version, null, ApiSupport.ActorOf(http), ct));

    public static async Task<Ok<DeploymentView>> Rollback(string domain, RollbackRequest request, DeploymentService deployments, HttpContext http, CancellationToken ct)
    {
        if (request.At is { } at) return TypedResults.Ok(await deployments.ScheduleRollbackAsync(domain, request.Version, request.Reason, at, ApiSupport.ActorOf(http), ct));
        if (string.IsNullOrWhiteSpace(request.Reason)) throw DeploymentProblem.Invalid("reason", "A rollback needs a reason.");
        return TypedResults.Ok(await deployments.SetStableAsync(domain, request.Version, request.Reason, ApiSupport.ActorOf(http), ct));
    }

    public static async Task<Ok<DeploymentView>> CancelRollback(string domain, DeploymentService deployments, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await deployments.CancelScheduledRollbackAsync(domain, ApiSupport.ActorOf(http), ct));
}
