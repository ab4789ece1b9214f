using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DomainPlatform.Deployment.Apis;

public sealed record CreateDomainRequest(
    string? Id, string? Name, string? AgentId, string? Layer, string? Team, IReadOnlyList<string>? Keywords,
    string? BaseModel, int? MaxTokens);

public static class DomainsApi
{
    public static RouteGroupBuilder MapDomainsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/domains").WithTags("Domains");

        api.MapGet("/", ListDomains).WithName("ListDomains").WithSummary("List domains, optionally by status");
        api.MapGet("/{id}", GetDomain).WithName("GetDomain").WithSummary("Get one domain's configuration");
        api.MapPost("/", CreateDomain).WithName("CreateDomain").WithSummary("Create a domain");
        return api;
    }

    public static async Task<Ok<IReadOnlyList<DomainRecord>>> ListDomains(string? status, DomainStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(status, ct));

    public static async Task<Results<Ok<DomainRecord>, NotFound<ProblemDetails>>> GetDomain(string id, DomainStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } domain
            ? TypedResults.Ok(domain)
            : TypedResults.NotFound(new ProblemDetails { Title = "Domain not found", Detail = $"No domain has the id '{id}'.", Status = 404 });

    public static async Task<Results<Created<DomainRecord>, ValidationProblem, Conflict<ProblemDetails>>> CreateDomain(
        CreateDomainRequest request, DomainStore store, CancellationToken ct)
    {
        var errors = DomainRules.Validate(request.Id, request.Name, request.MaxTokens, request.Keywords);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var now = DateTime.UtcNow;
        var domain = new DomainRecord(request.Id!, request.Name!, request.AgentId, request.Layer, request.Team,
            request.Keywords?.ToArray() ?? [], request.BaseModel, request.MaxTokens ?? 512, "active", 1, now, now);
        if (!await store.TryCreateAsync(domain, ct))
        {
            return TypedResults.Conflict(new ProblemDetails
            {
                Title = "Domain already exists", Detail = $"A domain with the id '{domain.Id}' already exists.", Status = 409,
            });
        }
        return TypedResults.Created($"/api/domains/{domain.Id}", await store.FindAsync(domain.Id, ct));
    }
}
