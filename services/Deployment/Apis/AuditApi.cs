using DomainPlatform.Deployment.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Deployment.Apis;

public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/audit").WithTags("Audit").WithProblemDetails();
        api.MapGet("/", Query).Documented("QueryAudit", "Query the audit log",
            "Every change (domain, model-version, alias, deployment, rollout, auto-deployment) with actor, time and the state before and after; newest first. Filters: entityType, entityId, actor, action, since, until; limit 1-1000 (default 100).", 400);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<AuditEntry>>> Query(
        string? entityType, string? entityId, string? actor, string? action, DateTime? since, DateTime? until, int? limit, AuditLog audit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) throw DeploymentProblem.Invalid("limit", "limit must be between 1 and 1000.");
        return TypedResults.Ok(await audit.QueryAsync(new AuditQuery(entityType, entityId, actor, action,
            since?.ToUniversalTime(), until?.ToUniversalTime(), limit ?? 100), ct));
    }
}
