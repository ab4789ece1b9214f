using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Gateway.Apis;

public sealed record CreateKeyRequest(
    [property: Required, MinLength(1), MaxLength(KeysApi.MaxNameLength)] string? Name,
    [property: Required, AllowedValues(Roles.Admin, Roles.Operator, Roles.Viewer, Roles.Client)] string? Role);

/// <summary>A new key with its secret: the only time the secret is ever shown.</summary>
public sealed record CreatedKey(Guid Id, string Name, string Role, string KeyPrefix, DateTime CreatedAt, string Key);

/// <summary>The key a request presents, as the gateway knows it: what a UI signing in with a key shows and allows.</summary>
public sealed record CurrentKey(Guid Id, string Name, [property: AllowedValues(Roles.Admin, Roles.Operator, Roles.Viewer, Roles.Client)] string Role);

public static class KeysApi
{
    public const int MaxNameLength = 200;

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/keys").WithTags("API keys");
        api.MapGet("/", ListKeys).WithName("ListKeys")
            .WithSummary("List API keys (never their secrets)")
            .WithDescription("Active keys by default; includeRevoked=true lists revoked keys too.");
        api.MapPost("/", CreateKey).WithName("CreateKey")
            .WithSummary("Create an API key with a role: admin, operator, viewer or client")
            .WithDescription("The response carries the key itself; it is stored only as a SHA-256 hash and cannot be shown again.");
        api.MapDelete("/{id:guid}", RevokeKey).WithName("RevokeKey")
            .WithSummary("Revoke an API key")
            .WithDescription("Takes effect at once on this gateway and within seconds on other replicas. The last active admin key cannot be revoked.");
        return api;
    }

    /// <summary><c>GET /api/keys/me</c>: any valid key may read its own name and role (never its secret).</summary>
    public static RouteHandlerBuilder MapCurrentKeyApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/keys/me", CurrentKeyOf).WithTags("API keys").WithName("GetCurrentKey")
            .WithSummary("The presented key's id, name and role")
            .WithDescription("Any valid key, whatever its role: the console reads it at sign-in to know which actions to offer.");

    public static Ok<CurrentKey> CurrentKeyOf(ClaimsPrincipal user) => TypedResults.Ok(new CurrentKey(
        Guid.Parse(user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim)!),
        user.FindFirstValue(ClaimTypes.Name) ?? "",
        user.FindFirstValue(ClaimTypes.Role) ?? ""));

    public static async Task<Ok<IReadOnlyList<ApiKeyRecord>>> ListKeys(bool? includeRevoked, ApiKeyStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(includeRevoked ?? false, ct));

    public static async Task<Results<Created<CreatedKey>, ValidationProblem>> CreateKey(CreateKeyRequest request, ApiKeyStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            errors["name"] = [$"A name of 1 to {MaxNameLength} characters is required, to tell keys apart."];
        }
        else if (request.Name.Any(char.IsControl))
        {
            // The name becomes the actor of audit entries and log lines: no tabs, newlines or terminal escapes.
            errors["name"] = ["A key's name cannot hold control characters (tabs, newlines, escapes)."];
        }
        if (!Roles.IsKnown(request.Role))
        {
            errors["role"] = [$"Role must be one of: {string.Join(", ", Roles.All)}."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var (record, secret) = await store.CreateAsync(request.Name!.Trim(), request.Role!, ct);
        return TypedResults.Created($"/api/keys/{record.Id}",
            new CreatedKey(record.Id, record.Name, record.Role, record.KeyPrefix, record.CreatedAt, secret));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(Guid id, ApiKeyStore store, CancellationToken ct) =>
        await store.RevokeAsync(id, ct) switch
        {
            ApiKeyStore.RevokeOutcome.Revoked => TypedResults.NoContent(),
            ApiKeyStore.RevokeOutcome.LastAdmin => TypedResults.Problem(
                title: "Last admin key", detail: "This is the last active admin key; create another admin key before revoking it.",
                statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Problem(title: "Key not found", detail: $"No API key has the id '{id}'.", statusCode: StatusCodes.Status404NotFound),
        };
}
