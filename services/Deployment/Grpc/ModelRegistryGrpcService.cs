using DomainPlatform.Deployment.Data;
using DomainPlatform.Protos.Deployment;
using Grpc.Core;

namespace DomainPlatform.Deployment.Grpc;

public sealed class ModelRegistryGrpcService(DomainStore domains) : ModelRegistry.ModelRegistryBase
{
    public override async Task<RouteTable> GetRouteTable(GetRouteTableRequest request, ServerCallContext context)
    {
        var active = await domains.ListAsync("active", context.CancellationToken);
        var table = new RouteTable { Revision = 0 };
        foreach (var domain in active)
        {
            var route = new DomainRoute { Domain = domain.Id, Salt = domain.Id };
            route.Keywords.AddRange(domain.Keywords);
            table.Domains.Add(route);
        }
        return table;
    }

    public override Task<RegisterVersionReply> RegisterVersion(RegisterVersionRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "The model registry arrives with issue 5."));
}
