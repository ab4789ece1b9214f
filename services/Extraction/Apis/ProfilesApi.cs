using System.ComponentModel.DataAnnotations;
using DomainPlatform.Contracts.Text;
using DomainPlatform.Extraction.Data;
using DomainPlatform.Extraction.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Extraction.Apis;

public sealed record UpsertProfileRequest([property: Required] string? Domain, [property: Required] IReadOnlyList<string>? Keywords);

public sealed record DetectRequest([property: Required] string? Text);

public static class ProfilesApi
{
    public static RouteGroupBuilder MapProfilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/extraction").WithTags("Domain detection");

        api.MapGet("/profiles", ListProfiles).WithName("ListProfiles").WithSummary("List the domain keyword profiles (configured and stored)");
        api.MapPost("/profiles", UpsertProfile).WithName("UpsertProfile").WithSummary("Create or replace a domain's keyword profile")
            .WithDescription("A stored profile overrides a configured one of the same domain. Keywords may be phrases; matching is on lower-case word tokens.");
        api.MapPost("/detect", Detect).WithName("DetectDomain").WithSummary("Score a text against the profiles without storing it");
        return api;
    }

    public static async Task<Ok<IReadOnlyList<ProfileRecord>>> ListProfiles(ProfileStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(ct));

    public static async Task<Results<Ok<ProfileRecord>, ValidationProblem>> UpsertProfile(UpsertProfileRequest request, ProfileStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!SourceKinds.IsValidDomain(request.Domain)) errors["domain"] = [SourceKinds.DomainRule];
        if (request.Keywords is null || request.Keywords.Count == 0) errors["keywords"] = ["At least one keyword is required."];
        else if (request.Keywords.Any(k => TextTokens.Words(k).Count == 0)) errors["keywords"] = ["Every keyword needs at least one letter or digit."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var keywords = request.Keywords!.Select(k => k.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return TypedResults.Ok(await store.UpsertAsync(request.Domain!, keywords, ct));
    }

    public static async Task<Results<Ok<DomainDetection>, ValidationProblem>> Detect(DetectRequest request, ProfileStore store, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Text)) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = ["A text is required."] });
        return TypedResults.Ok(DomainDetector.Detect(request.Text, await store.ProfilesAsync(ct)));
    }
}
