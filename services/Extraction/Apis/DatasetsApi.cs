using System.ComponentModel.DataAnnotations;
using DomainPlatform.Extraction.Data;
using DomainPlatform.Extraction.Datasets;
using DomainPlatform.Extraction.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Extraction.Apis;

/// <summary>Build a dataset for <c>domain</c> from <c>sourceIds</c>, or from every source tagged with the domain when omitted.</summary>
public sealed record CreateDatasetRequest([property: Required] string? Domain, [property: Required] string? Name, IReadOnlyList<Guid>? SourceIds, [property: Range(PrivacyAccountant.MinSettableEpsilon, PrivacyAccountant.MaxSettableEpsilon)] double? Epsilon);

public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/datasets").WithTags("Datasets");

        api.MapGet("/", ListDatasets).WithName("ListDatasets").WithSummary("List datasets, optionally by domain and status")
            .WithDescription("status is one of queued, building, ready, failed, refused (any case); an unknown one is a 400.");
        api.MapGet("/{id:guid}", GetDataset).WithName("GetDataset").WithSummary("Get one dataset and its build status");
        api.MapPost("/", CreateDataset).WithName("CreateDataset").WithSummary("Queue a redacted JSONL training set for a domain")
            .WithDescription("Charges the domain's privacy budget (basic composition) and queues the build (202); status goes queued → building → ready | failed, and DatasetReady is published when ready. A build that would exceed the budget is recorded as refused and answered 409.");
        return api;
    }

    public static readonly IReadOnlyList<string> Statuses = [DatasetStatus.Queued, DatasetStatus.Building, DatasetStatus.Ready, DatasetStatus.Failed, DatasetStatus.Refused];

    public static async Task<Results<Ok<IReadOnlyList<DatasetRecord>>, ValidationProblem>> ListDatasets(string? domain, string? status, DatasetStore store, CancellationToken ct)
    {
        string? error = null;
        var canonical = status is null ? null : FilterValues.Canonical(status, Statuses, out error);
        if (status is not null && canonical is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = [error!] });
        return TypedResults.Ok(await store.ListAsync(domain, canonical, ct));
    }

    public static async Task<Results<Ok<DatasetRecord>, ProblemHttpResult>> GetDataset(Guid id, DatasetStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } dataset
            ? TypedResults.Ok(dataset)
            : TypedResults.Problem(title: "Dataset not found", detail: $"No dataset has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    public static async Task<Results<Accepted<DatasetRecord>, ValidationProblem, ProblemHttpResult>> CreateDataset(
        CreateDatasetRequest request, DatasetStore datasets, SourceStore sources, DatasetBuildSignal signal, IOptions<ExtractionOptions> options, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!SourceKinds.IsValidDomain(request.Domain)) errors["domain"] = [SourceKinds.DomainRule];
        if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["A name is required."];
        else if (SourceKinds.NameRefusal(request.Name) is { } why) errors["name"] = [why];
        if (request.Epsilon is { } e && !PrivacyAccountant.IsSettableEpsilon(e)) errors["epsilon"] = [$"epsilon is {PrivacyAccountant.SettableRange}."];
        if (request.SourceIds is { Count: 0 }) errors["sourceIds"] = ["Leave sourceIds out to use every source of the domain, or name at least one."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        Guid[] sourceIds;
        if (request.SourceIds is { } requested)
        {
            var wanted = requested.Distinct().ToArray();
            var found = await sources.FindManyAsync(wanted, ct);
            var missing = wanted.Except(found.Select(s => s.Id)).ToList();
            if (missing.Count > 0)
            {
                return TypedResults.Problem(title: "Source not found", detail: $"No source has the id {string.Join(", ", missing.Select(m => $"'{m}'"))}.",
                    statusCode: StatusCodes.Status404NotFound);
            }
            sourceIds = wanted;
        }
        else
        {
            sourceIds = (await sources.ListAsync(request.Domain, ct)).Select(s => s.Id).ToArray();
            if (sourceIds.Length == 0)
            {
                return TypedResults.Problem(title: "No sources for the domain", detail: $"No source is tagged with the domain '{request.Domain}'.",
                    statusCode: StatusCodes.Status422UnprocessableEntity);
            }
        }

        var epsilon = request.Epsilon ?? options.Value.DefaultDatasetEpsilon;
        var outcome = await datasets.RequestAsync(request.Domain!, request.Name!.Trim(), sourceIds, epsilon, ct);
        if (outcome.NameTaken)
        {
            return TypedResults.Problem(title: "Dataset already exists", detail: $"A dataset named '{request.Name}' already exists.", statusCode: StatusCodes.Status409Conflict);
        }
        if (outcome.Decision is { Allowed: false } refused)
        {
            return TypedResults.Problem(title: "Privacy budget exceeded", detail: refused.Reason, statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?>
                {
                    ["datasetId"] = outcome.Dataset!.Id, ["budgetEpsilon"] = refused.BudgetEpsilon, ["spentEpsilon"] = refused.SpentEpsilon,
                    ["requestedEpsilon"] = refused.RequestedEpsilon, ["remainingEpsilon"] = refused.RemainingEpsilon,
                });
        }
        signal.Notify();
        return TypedResults.Accepted($"/api/datasets/{outcome.Dataset!.Id}", outcome.Dataset);
    }
}
