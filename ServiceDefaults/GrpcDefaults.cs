using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class GrpcDefaults
{
    /// <summary>Name of the Kestrel/Aspire endpoint that carries gRPC (HTTP/2 only).</summary>
    public const string EndpointName = "grpc";

    /// <summary>
    /// gRPC server with health and reflection, as every service exposes it, and the platform's input rule. Detailed
    /// errors (an unhandled exception's message in the status) only in Development: elsewhere a caller gets the status
    /// code and the logs get the exception.
    /// </summary>
    public static IServiceCollection AddGrpcDefaults(this IServiceCollection services)
    {
        services.AddGrpc(o => o.Interceptors.Add<GrpcInputRules>());
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>()
            .Configure<IHostEnvironment>((options, environment) => options.EnableDetailedErrors = environment.IsDevelopment());
        services.AddGrpcHealthChecks();
        services.AddGrpcReflection();
        return services;
    }

    public static WebApplication MapGrpcDefaults(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>
    /// A typed gRPC client for another service, resolved through service discovery
    /// (<c>services__{service}__grpc__0</c>). The HTTP resilience defaults are removed from it: their
    /// 10 s attempt timeout would cut long server streams; gRPC deadlines govern these calls instead.
    /// </summary>
    public static IHttpClientBuilder AddServiceGrpcClient<TClient>(this IServiceCollection services, string serviceName)
        where TClient : class
    {
        var builder = services.AddGrpcClient<TClient>(o => o.Address = new Uri($"http://_{EndpointName}.{serviceName}"));
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt out.
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }
}
