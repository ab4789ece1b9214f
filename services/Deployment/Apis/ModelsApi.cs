using System.ComponentModel.DataAnnotations;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.Deployment.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Deployment.Apis;

public sealed record RegisterVersionRequest(
    string? Version, string? Bump, [property: Required] string? ArtifactPath, [property: Required] string? ArtifactSha256, long? ArtifactSizeBytes,
    Dictionary<string, double>? Metrics, string? TrainingRunId, string? DatasetId, string? BaseVersion, IReadOnlyList<string>? Tags,
    ServingSettings? Serving = null);

public sealed record SetAliasRequest([property: Required] string? Version);
public sealed record SetTagsRequest([property: Required] IReadOnlyList<string>? Tags);

public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/models").WithTags("Models").WithProblemDetails();

        api.MapPost("/{domain}/versions", Register).Documented("RegisterVersion", "Register a model version",
            "Registers an artifact as a version of the domain's model. The version is given, or picked by bumping the highest (bump: major, minor (default) or patch; 1.0.0 first). The file must exist and match its sha256. The file must be a GGUF model inference can load (422 with the validator's reason otherwise). The domain's deployment gates are evaluated and recorded. Optional serving settings (contextSize, parallelSlots, gpuLayers) say how inference holds the version wherever it is deployed; absent ones take inference's defaults (4096, 4, all layers).", 400, 404, 409, 422);
        api.MapGet("/{domain}/versions", History).Documented("ListVersions", "A domain's version history",
            "Every registered version, highest first, with metrics, lineage, aliases and tags.");
        api.MapGet("/{domain}/versions/{version}", GetVersion).Documented("GetVersion", "Get one version", "One version with its artifact, metrics and lineage.", 400, 404);
        api.MapPut("/{domain}/versions/{version}/tags", SetTags).Documented("SetVersionTags", "Replace a version's tags", "Tags are free-form labels.", 400, 404);
        api.MapPut("/{domain}/aliases/{alias}", SetAlias).Documented("SetAlias", "Point an alias at a version",
            "Sets champion or a custom alias; stable and canary follow deployments and cannot be set by hand.", 400, 404);
        api.MapDelete("/{domain}/aliases/{alias}", RemoveAlias).Documented("RemoveAlias", "Remove an alias", "Removes champion or a custom alias.", 400, 404);
        api.MapGet("/{domain}/compare", Compare).Documented("CompareVersions", "Compare two versions metric by metric",
            "For every metric either version has: a, b, b - a, and the change relative to a.", 400, 404);
        return api;
    }

    public static async Task<Created<ModelVersionView>> Register(string domain, RegisterVersionRequest request, VersionRegistry registry, HttpContext http, CancellationToken ct)
    {
        var registered = await registry.RegisterAsync(new RegisterVersionCommand(domain, request.Version, request.Bump, request.ArtifactPath, request.ArtifactSha256,
            request.ArtifactSizeBytes, request.Metrics, request.TrainingRunId, request.DatasetId, request.BaseVersion, request.Tags, request.Serving), ApiSupport.ActorOf(http), ct);
        return TypedResults.Created($"/api/models/{registered.Domain}/versions/{registered.Version}", registered);
    }

    public static async Task<Ok<IReadOnlyList<ModelVersionView>>> History(string domain, VersionRegistry registry, CancellationToken ct) =>
        TypedResults.Ok(await registry.HistoryAsync(domain, ct));

    public static async Task<Ok<ModelVersionView>> GetVersion(string domain, string version, VersionRegistry registry, CancellationToken ct)
    {
        ApiSupport.RequireSemver(version);
        return TypedResults.Ok(await registry.GetAsync(domain, version, ct)
            ?? throw DeploymentProblem.NotFound("Model version", $"'{domain}' has no version '{version}'."));
    }

    public static async Task<Ok<ModelVersionView>> SetTags(string domain, string version, SetTagsRequest request, VersionRegistry registry, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await registry.SetTagsAsync(domain, version, request.Tags, ApiSupport.ActorOf(http), ct));

    public static async Task<Ok<ModelVersionView>> SetAlias(string domain, string alias, SetAliasRequest request, VersionRegistry registry, HttpContext http, CancellationToken ct) =>
        TypedResults.Ok(await registry.SetAliasAsync(domain, alias, request.Version, ApiSupport.ActorOf(http), ct));

    public static async Task<NoContent> RemoveAlias(string domain, string alias, VersionRegistry registry, HttpContext http, CancellationToken ct)
    {
        await registry.RemoveAliasAsync(domain, alias, ApiSupport.ActorOf(http), ct);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<VersionComparison>> Compare(string domain, string a, string b, VersionRegistry registry, CancellationToken ct)
    {
        ApiSupport.RequireSemver(a, "a");
        ApiSupport.RequireSemver(b, "b");
        return TypedResults.Ok(await registry.CompareAsync(domain, a, b, ct));
    }
}
