using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using DomainPlatform.Extraction.Data;
using DomainPlatform.Extraction.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Extraction.Apis;

/// <summary>
/// A source: kind "document" with <c>text</c>, "table" with <c>rows</c> (a JSON array of objects) or "sql" with
/// <c>query</c>; <c>description</c> is optional context; <c>domain</c> skips detection when given.
/// </summary>
public sealed record CreateSourceRequest(
    [property: Required] string? Name, [property: Required, AllowedValues(SourceKinds.Document, SourceKinds.Table, SourceKinds.Sql)] string? Kind, string? Text, JsonElement? Rows, string? Query, string? Description, string? Domain);

public static class SourcesApi
{
    public static RouteGroupBuilder MapSourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/sources").WithTags("Sources");

        api.MapGet("/", ListSources).WithName("ListSources").WithSummary("List sources, optionally those of one domain");
        api.MapGet("/{id:guid}", GetSource).WithName("GetSource").WithSummary("Get one source with its detected domain");
        api.MapPost("/", CreateSource).WithName("CreateSource").WithSummary("Add a source (document, table or SQL) and detect its domain")
            .WithDescription("The domain is detected by keyword scoring against the domain profiles unless the request names one; the best domain, its score and the runner-up are stored with the source.");
        return api;
    }

    public static async Task<Ok<IReadOnlyList<SourceRecord>>> ListSources(string? domain, SourceStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(domain, ct));

    public static async Task<Results<Ok<SourceRecord>, ProblemHttpResult>> GetSource(Guid id, SourceStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } source
            ? TypedResults.Ok(source)
            : TypedResults.Problem(title: "Source not found", detail: $"No source has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    public static async Task<Results<Created<SourceRecord>, ValidationProblem, ProblemHttpResult>> CreateSource(
        CreateSourceRequest request, SourceStore store, ProfileStore profiles, CancellationToken ct)
    {
        var (errors, content) = SourceKinds.Validate(request.Name, request.Kind, request.Text, request.Rows, request.Query, request.Domain);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var source = new SourceRecord
        {
            Id = Guid.CreateVersion7(), Name = request.Name!.Trim(), Kind = request.Kind!, Content = content, Description = request.Description,
        };
        if (request.Domain is not null)
        {
            source = source with { Domain = request.Domain, DomainOrigin = "manual" };
        }
        else
        {
            var detection = DomainDetector.Detect(SourceKinds.DetectionText(source.Kind, content, source.Description), await profiles.ProfilesAsync(ct));
            source = source with
            {
                Domain = detection.Best?.Domain, DomainOrigin = detection.Best is null ? null : "detected", DomainScore = detection.Best?.Score,
                RunnerUp = detection.RunnerUp?.Domain, RunnerUpScore = detection.RunnerUp?.Score,
            };
        }

        if (!await store.TryCreateAsync(source, ct))
        {
            return TypedResults.Problem(title: "Source already exists", detail: $"A source named '{source.Name}' already exists.", statusCode: StatusCodes.Status409Conflict);
        }
        return TypedResults.Created($"/api/sources/{source.Id}", await store.FindAsync(source.Id, ct));
    }
}
