using System.ComponentModel.DataAnnotations;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Deployment.Apis;

public sealed record CreateDomainRequest(
    [property: Required] string? Id, [property: Required] string? Name, string? AgentId, string? Layer, string? Team, IReadOnlyList<string>? Keywords,
    string? BaseModel, int? MaxTokens, DeploymentGatesPatch? Gates, RollbackThresholdsPatch? Rollback, CacheSettingsPatch? Cache,
    RolloutDefaultsPatch? Rollout = null);

public sealed record ArchiveDomainRequest([property: Required] string? Reason);

public static class DomainsApi
{
    public static RouteGroupBuilder MapDomainsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/domains").WithTags("Domains").WithProblemDetails();

        api.MapGet("/", ListDomains).Documented("ListDomains", "List domains",
            "All domains, optionally filtered by status (active, archived; any case; an unknown one is a 400), team and layer.", 400);
        api.MapGet("/{id}", GetDomain).Documented("GetDomain", "Get one domain's configuration",
            "The domain's current configuration and revision, served from the Redis hot copy.", 404);
        api.MapGet("/{id}/revisions", ListRevisions).Documented("ListDomainRevisions", "List a domain's configuration revisions",
            "Every configuration the domain has had, oldest first; kept after archive and delete.");
        api.MapPost("/", CreateDomain).Documented("CreateDomain", "Create a domain",
            "Creates an active domain; absent gates, rollback thresholds, cache settings and rollout defaults take the platform defaults.", 400, 409);
        api.MapPatch("/{id}", UpdateDomain).Documented("UpdateDomain", "Change part of a domain's configuration",
            "Fields left out keep their value; the result is validated as a whole and stored as a new revision.", 400, 404, 409);
        api.MapPost("/{id}/archive", ArchiveDomain).Documented("ArchiveDomain", "Archive a domain",
            "Stops routing to the domain and freezes its configuration; history stays. Refused while a rollout runs.", 400, 404, 409);
        api.MapDelete("/{id}", DeleteDomain).Documented("DeleteDomain", "Delete a domain",
            "Deletes an archived domain (or an active one with ?force=true) with its versions; never while a rollout runs.", 404, 409);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<DomainView>>> ListDomains(string? status, string? team, string? layer, DomainService domains, CancellationToken ct)
    {
        var canonical = status is null ? null : FilterValues.Canonical(status, [DomainService.Active, DomainService.Archived], out var error)
            ?? throw DeploymentProblem.Invalid("status", error!);
        return TypedResults.Ok(await domains.ListAsync(new DomainFilter(canonical, team, layer), ct));
    }

    public static async Task<Results<Ok<DomainView>, ProblemHttpResult>> GetDomain(string id, DomainService domains, CancellationToken ct) =>
        await domains.GetAsync(id, ct) is { } domain
            ? TypedResults.Ok(domain)
            : TypedResults.Problem(title: "Domain not found", detail: $"No domain has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    public static async Task<Ok<IReadOnlyList<DomainRevision>>> ListRevisions(string id, DomainService domains, CancellationToken ct) =>
        TypedResults.Ok(await domains.RevisionsAsync(id, ct));

    public static async Task<Created<DomainView>> CreateDomain(CreateDomainRequest request, DomainService domains, HttpContext http, CancellationToken ct)
    {
        var config = DomainRules.Apply(new DomainConfig { Name = request.Name ?? "" }, new DomainPatch(
            null, request.AgentId, request.Layer, request.Team, request.Keywords, request.BaseModel, request.MaxTokens, request.Gates, request.Rollback, request.Cache, request.Rollout));
        var created = await domains.CreateAsync(request.Id, config, ApiSupport.ActorOf(http), ct);
        return TypedResults.Created($"/api/domains/{created.Id}", created);
    }

    public static async Task<Ok<DomainView>> UpdateDomain(string id, DomainPatch patch, DomainService domains, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await domains.UpdateAsync(id, patch, ApiSupport.ActorOf(http), ct));

    public static async Task<Ok<DomainView>> ArchiveDomain(string id, ArchiveDomainRequest request, DomainService domains, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await domains.ArchiveAsync(id, request.Reason, ApiSupport.ActorOf(http), ct));

    public static async Task<NoContent> DeleteDomain(string id, bool? force, DomainService domains, HttpContext http, CancellationToken ct)
    {
        await domains.DeleteAsync(id, force ?? false, ApiSupport.ActorOf(http), ct);
        return TypedResults.NoContent();
    }
}
