using DomainPlatform.Deployment.Data;
using DomainPlatform.Protos.Deployment;
using Grpc.Core;

namespace DomainPlatform.Deployment.Grpc;

public sealed class ModelRegistryGrpcService(RouteTables routeTables, VersionRegistry registry) : ModelRegistry.ModelRegistryBase
{
    public override async Task<RouteTable> GetRouteTable(GetRouteTableRequest request, ServerCallContext context)
    {
        var current = await routeTables.CurrentAsync(context.CancellationToken);
        var table = new RouteTable { Revision = current?.Revision ?? 0 };
        foreach (var domain in current?.Domains ?? [])
        {
            var route = new DomainRoute
            {
                Domain = domain.Domain, Salt = domain.Salt, MaxTokens = domain.MaxTokens ?? 0,
                CreatedUnixSeconds = domain.CreatedAt?.ToUnixTimeSeconds() ?? 0,
            };
            if (domain.Cache is { } cache) route.Cache = new RouteCache { Enabled = cache.Enabled, TtlSeconds = cache.TtlSeconds };
            route.Aliases.AddRange(domain.Aliases);
            route.Keywords.AddRange(domain.Keywords);
            route.Variants.AddRange(domain.Variants.Select(v => new RouteVariant
            {
                Name = v.Name, ModelVersion = v.ModelVersion, ModelId = v.ModelId, WeightPercent = v.WeightPercent, Destination = v.Destination,
            }));
            table.Domains.Add(route);
        }
        return table;
    }

    public override async Task<RegisterVersionReply> RegisterVersion(RegisterVersionRequest request, ServerCallContext context)
    {
        var actor = context.RequestHeaders.GetValue("x-actor") is { Length: > 0 } named ? named : AuditLog.System;
        try
        {
            var registered = await registry.RegisterAsync(new RegisterVersionCommand(
                request.Domain, Empty(request.Version), Empty(request.Bump), request.ArtifactPath, request.ArtifactSha256, null,
                request.Metrics, Empty(request.TrainingRunId), Empty(request.DatasetId), Empty(request.BaseVersion), null), actor, context.CancellationToken);
            return new RegisterVersionReply { Domain = registered.Domain, Version = registered.Version };
        }
        catch (DeploymentProblem problem)
        {
            var code = problem.Status switch
            {
                StatusCodes.Status404NotFound => StatusCode.NotFound,
                StatusCodes.Status409Conflict => StatusCode.AlreadyExists,
                _ => StatusCode.InvalidArgument,
            };
            throw new RpcException(new Status(code, $"{problem.Title}: {problem.Message}"));
        }
    }

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
