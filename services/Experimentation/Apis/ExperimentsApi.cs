using DomainPlatform.Experimentation.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Experimentation.Apis;

public static class ExperimentsApi
{
    public static RouteGroupBuilder MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/experiments").WithTags("Experiments");

        api.MapGet("/", ListExperiments).WithName("ListExperiments")
            .WithSummary("List experiments, newest first, optionally by status and domain");
        api.MapGet("/{id:guid}", GetExperiment).WithName("GetExperiment")
            .WithSummary("Get one experiment: design, variants with current weights, status and phase");
        return api;
    }

    public static async Task<Ok<IReadOnlyList<ExperimentRow>>> ListExperiments(string? status, string? domain, ExperimentStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(status, domain, ct));

    public static async Task<Results<Ok<ExperimentRow>, ProblemHttpResult>> GetExperiment(Guid id, ExperimentStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } experiment
            ? TypedResults.Ok(experiment)
            : TypedResults.Problem(title: "Experiment not found", detail: $"No experiment has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);
}
