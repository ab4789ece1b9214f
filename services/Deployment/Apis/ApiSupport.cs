using DomainPlatform.Deployment.Data;

namespace DomainPlatform.Deployment.Apis;

public static class ApiSupport
{
    public const string ActorHeader = "X-Actor";

    /// <summary>Longest actor kept; a key name is at most 200 characters, plus "key:" and its role.</summary>
    public const int MaxActorLength = 256;

    /// <summary>
    /// Who made a change: the X-Actor header, else "system". The gateway drops any X-Actor a client sends and sets it
    /// from the caller's API key (<c>key:&lt;name&gt; (&lt;role&gt;)</c>, percent-encoded beyond printable ASCII); the
    /// header is trusted because only the gateway can reach the service (loopback under the launcher, a NetworkPolicy
    /// in Kubernetes). A request straight to the service without it is the system's own.
    /// </summary>
    public static string ActorOf(HttpContext http)
    {
        var raw = http.Request.Headers[ActorHeader].ToString().Trim();
        if (raw.Length == 0) return AuditLog.System;
        var decoded = Uri.UnescapeDataString(raw);
        // An escape that decodes to a control character (NUL would not even store) is kept as the ASCII that was sent.
        var actor = decoded.Any(char.IsControl) ? raw : decoded;
        if (actor.Length <= MaxActorLength) return actor;
        return actor[..(char.IsHighSurrogate(actor[MaxActorLength - 1]) ? MaxActorLength - 1 : MaxActorLength)];
    }

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
