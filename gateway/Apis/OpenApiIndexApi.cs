using DomainPlatform.Gateway.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Gateway.Apis;

/// <summary>Where to find one OpenAPI document through the gateway.</summary>
public sealed record OpenApiDocumentLink(string Service, string Path, string Url);

public static class OpenApiIndexApi
{
    public const string GatewayService = "gateway";

    public static RouteGroupBuilder MapOpenApiIndexApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/openapi").WithTags("OpenAPI");
        api.MapGet("/", ListDocuments)
            .WithName("ListOpenApiDocuments")
            .WithSummary("List the OpenAPI documents of the gateway and of every service behind it")
            .WithDescription("Each service's document is served through the gateway at /openapi/{service}/v1.json; the gateway's own is /openapi/v1.json.");
        return api;
    }

    public static Ok<IReadOnlyList<OpenApiDocumentLink>> ListDocuments(HttpRequest request)
    {
        var origin = $"{request.Scheme}://{request.Host}{request.PathBase}";
        IReadOnlyList<OpenApiDocumentLink> links =
        [
            new(GatewayService, ServiceCatalog.ServiceOpenApiPath, origin + ServiceCatalog.ServiceOpenApiPath),
            // A web UI (the console) serves pages, not an API: it has no document.
            .. ServiceCatalog.Services.Where(s => s.Kind != ApiKind.WebUi).Select(s => new OpenApiDocumentLink(s.Name, s.OpenApiPath, origin + s.OpenApiPath)),
        ];
        return TypedResults.Ok(links);
    }
}
