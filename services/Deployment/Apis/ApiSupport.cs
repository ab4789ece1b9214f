using DomainPlatform.Deployment.Data;

namespace DomainPlatform.Deployment.Apis;

public static class ApiSupport
{
    public const string ActorHeader = "X-Actor";

    /// <summary>Who made a change: the X-Actor header (the gateway sets it from the caller's key), else "system".</summary>
    public static string ActorOf(HttpContext http) =>
        http.Request.Headers[ActorHeader].ToString().Trim() is { Length: > 0 and <= 200 } actor ? actor : AuditLog.System;

    /// <summary>Turns a <see cref="DeploymentProblem"/> into problem details; every route of the service uses it.</summary>
    public static RouteGroupBuilder WithProblemDetails(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (DeploymentProblem problem) when (problem.Errors is { } errors)
            {
                return TypedResults.ValidationProblem(errors, detail: problem.Message, title: problem.Title);
            }
            catch (DeploymentProblem problem)
            {
                return TypedResults.Problem(detail: problem.Message, statusCode: problem.Status, title: problem.Title);
            }
        });
        return group;
    }

    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder route, string name, string summary, string description, params int[] problems)
    {
        route.WithName(name).WithSummary(summary).WithDescription(description);
        foreach (var status in problems)
        {
            if (status == StatusCodes.Status400BadRequest) route.ProducesValidationProblem();
            else route.ProducesProblem(status);
        }
        return route;
    }

    public static void RequireSemver(string version, string field = "version")
    {
        if (!Domain.SemanticVersion.TryParse(version, out _))
        {
            throw DeploymentProblem.Invalid(field, $"'{version}' is not a semantic version: expected MAJOR.MINOR.PATCH, like 1.4.0.");
        }
    }
}
