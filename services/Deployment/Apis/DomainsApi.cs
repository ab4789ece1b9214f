using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

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

    public static async Task<Results<Ok<DomainRecord>, ProblemHttpResult>> GetDomain(string id, DomainStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } domain
            ? TypedResults.Ok(domain)
            : TypedResults.Problem(title: "Domain not found", detail: $"No domain has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    public static async Task<Results<Created<DomainRecord>, ValidationProblem, ProblemHttpResult>> CreateDomain(
        CreateDomainRequest request, DomainStore store, CancellationToken ct)
    {
        var errors = DomainRules.Validate(request.Id, request.Name, request.MaxTokens, request.Keywords);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var domain = new DomainRecord
        {
            Id = request.Id!, Name = request.Name!, AgentId = request.AgentId, Layer = request.Layer, Team = request.Team,
            Keywords = request.Keywords?.ToArray() ?? [], BaseModel = request.BaseModel, MaxTokens = request.MaxTokens ?? 512,
        };
        if (!await store.TryCreateAsync(domain, ct))
        {
            return TypedResults.Problem(
                title: "Domain already exists", detail: $"A domain with the id '{domain.Id}' already exists.", statusCode: StatusCodes.Status409Conflict);
        }
        return TypedResults.Created($"/api/domains/{domain.Id}", await store.FindAsync(domain.Id, ct));
    }
}
