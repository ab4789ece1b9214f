using System.Text.Json.Serialization;
using DomainPlatform.Gateway.Inference;
using DomainPlatform.Gateway.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Gateway.Apis;

/// <summary>One entry of OpenAI's model list: a <c>model</c> value that chat and completions accept.</summary>
public sealed record ModelCard(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    [JsonPropertyName("object")] public string Object => "model";
}

public sealed record ModelList([property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data)
{
    [JsonPropertyName("object")] public string Object => "list";
}

/// <summary>
/// The gateway's own /v1/models: the domains of the route table, their aliases and "auto" (<see cref="DomainRouter.Accepted"/>),
/// not inference's loaded model files, which no client can name.
/// </summary>
public static class ModelsApi
{
    public const string OwnedBy = "domainplatform";

    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/models").WithTags("OpenAI");
        api.MapGet("/", ListModels).WithName("ListModels")
            .WithSummary("The model ids chat and completions accept (OpenAI-compatible)")
            .WithDescription("Each serving domain's id and aliases, and \"auto\"; created is the domain's creation time (for auto, the oldest domain's).");
        api.MapGet("/{model}", GetModel).WithName("RetrieveModel")
            .WithSummary("One model id, if chat and completions accept it (OpenAI-compatible)");
        return api;
    }

    /// <summary>Every /v1 path the gateway does not serve: OpenAI's 404 body rather than an empty one.</summary>
    public static IEndpointConventionBuilder MapUnknownOpenAiPaths(this IEndpointRouteBuilder app) =>
        app.MapFallback("/v1/{**path}", (HttpContext context) => TypedResults.Problem(
            title: "Unknown URL",
            detail: $"Unknown URL: {context.Request.Method} {context.Request.Path}. The gateway serves GET /v1/models, POST /v1/chat/completions, " +
                    "POST /v1/completions, POST /v1/embeddings and POST /v1/feedback.",
            statusCode: StatusCodes.Status404NotFound,
            extensions: new Dictionary<string, object?> { [OpenAiProblemDetailsWriter.CodeKey] = OpenAiErrorCodes.UnknownUrl }));

    public static Results<Ok<ModelList>, ProblemHttpResult> ListModels(RouteTableState routes) =>
        routes.IsLoaded ? TypedResults.Ok(new ModelList(Cards(routes.Table))) : NotLoaded();

    public static Results<Ok<ModelCard>, ProblemHttpResult> GetModel(string model, RouteTableState routes)
    {
        if (!routes.IsLoaded) return NotLoaded();
        return Cards(routes.Table).FirstOrDefault(c => string.Equals(c.Id, model, StringComparison.OrdinalIgnoreCase)) is { } card
            ? TypedResults.Ok(card)
            : TypedResults.Problem(title: "Unknown model", detail: $"The model '{model}' does not exist; GET /v1/models lists the models.",
                statusCode: StatusCodes.Status404NotFound,
                extensions: new Dictionary<string, object?>
                {
                    [OpenAiProblemDetailsWriter.CodeKey] = OpenAiErrorCodes.ModelNotFound, [OpenAiProblemDetailsWriter.ParamKey] = "model",
                });
    }

    public static IReadOnlyList<ModelCard> Cards(DomainRouteTable table)
    {
        var accepted = DomainRouter.Accepted(table);
        var oldest = accepted.Where(a => a.Domain is not null).Select(a => Created(a.Domain!)).DefaultIfEmpty(0).Min();
        return accepted.Select(a => new ModelCard(a.Model, a.Domain is { } d ? Created(d) : oldest, OwnedBy)).ToList();
    }

    private static long Created(RoutableDomain domain) => domain.Route.CreatedAt?.ToUnixTimeSeconds() ?? 0;

    private static ProblemHttpResult NotLoaded() => TypedResults.Problem(title: "Routes not loaded",
        detail: "The gateway has not received the route table from deployment yet; retry shortly.", statusCode: StatusCodes.Status503ServiceUnavailable);
}
