using DomainPlatform.EventBus;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Data;
using DomainPlatform.Gateway.Routing;
using DomainPlatform.Persistence;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace DomainPlatform.Gateway;

internal static class Extensions
{
    public const string ServiceName = "gateway";
    public const string DatabaseName = "gatewaydb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddRedisClient();
        builder.AddEventBus(ServiceName);

        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddHostedService<AdminKeyBootstrap>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddGatewayPolicies());

        var services = ServiceCatalog.Services;
        builder.Services.AddSingleton(new InMemoryConfigProvider(
            ProxyConfigBuilder.BuildRoutes(services), ProxyConfigBuilder.BuildClusters(services)));
        builder.Services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<InMemoryConfigProvider>());
        builder.Services.AddReverseProxy();
        builder.Services.Replace(ServiceDescriptor.Singleton<IDestinationResolver, ServiceDiscoveryDestinationResolver>());
    }

    /// <summary>The YARP pipeline: failures become problem details, then YARP's own balancing and health steps.</summary>
    public static IEndpointConventionBuilder MapGatewayProxy(this WebApplication app) =>
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(ProxyErrorProblemDetails.WriteOnErrorAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
}
