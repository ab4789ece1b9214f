using DomainPlatform.EventBus;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Caching;
using DomainPlatform.Gateway.Limits;
using DomainPlatform.Gateway.Outcomes;
using DomainPlatform.Gateway.Data;
using DomainPlatform.Gateway.Events;
using DomainPlatform.Gateway.Inference;
using DomainPlatform.Protos.Deployment;
using Microsoft.Extensions.Options;
using DomainPlatform.Gateway.Routing;
using DomainPlatform.Persistence;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;
using Yarp.ReverseProxy.Transforms;

namespace DomainPlatform.Gateway;

internal static class Extensions
{
    public const string ServiceName = "gateway";
    public const string DatabaseName = "gatewaydb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddRedisCache();
        // Each replica keeps its own copy of the routes, so each gets its own short-lived queue.
        var instance = $"{Environment.MachineName}-{Guid.NewGuid():N}".ToLowerInvariant();
        builder.AddEventBus(ServiceName, bus =>
        {
            bus.AddConsumer<RouteTableChangedConsumer>().Endpoint(e => { e.Temporary = true; e.InstanceId = instance; });
            bus.AddConsumer<RoutingWeightsUpdatedConsumer>().Endpoint(e => { e.Temporary = true; e.InstanceId = instance; });
        });

        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section);
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddHostedService<AdminKeyBootstrap>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddGatewayPolicies());

        var services = ServiceCatalog.Services;
        var configured = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>();
        builder.Services.AddSingleton(new InMemoryConfigProvider(
            ProxyConfigBuilder.BuildRoutes(services), ProxyConfigBuilder.BuildClusters(services, configured?.CircuitBreakDuration, configured?.InferenceTimeout)));
        builder.Services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<InMemoryConfigProvider>());
        builder.Services.AddReverseProxy()
            // A dead instance is known within seconds, so a retry can go to another before the client notices.
            .ConfigureHttpClient((_, handler) => handler.ConnectTimeout = TimeSpan.FromSeconds(5))
            // Services audit by X-Actor: a client's own is dropped, and the authenticated key's name and role set instead.
            .AddTransforms(transforms => transforms.AddRequestTransform(context =>
            {
                RequestTransform.RemoveHeader(context, ActorHeader.Name);
                if (ActorHeader.For(context.HttpContext.User) is { } actor)
                {
                    RequestTransform.AddHeader(context, ActorHeader.Name, ActorHeader.Encode(actor));
                }
                return ValueTask.CompletedTask;
            }));
        builder.Services.Replace(ServiceDescriptor.Singleton<IDestinationResolver, ServiceDiscoveryDestinationResolver>());

        builder.Services.AddServiceGrpcClient<ModelRegistry.ModelRegistryClient>(ServiceCatalog.Deployment);
        builder.Services.AddSingleton<RouteTableState>();
        builder.Services.AddHostedService<RouteTableSync>();
        builder.Services.AddSingleton<InferenceRouting>();

        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RedisTokenBucket>();
        builder.Services.AddSingleton<LeasedRateLimiter>();
        builder.Services.AddSingleton<RedisCircuit>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.Section);
        builder.Services.AddSingleton<ResponseCache>();
        builder.Services.AddOptions<AssignmentKeyOptions>().BindConfiguration(AssignmentKeyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AssignmentKeyOptions>, AssignmentKeyOptionsValidator>();
        builder.Services.AddSingleton(sp => new Assignment.AssignmentKeyHasher(
            sp.GetRequiredService<IOptions<AssignmentKeyOptions>>().Value.AssignmentKeySecret is { Length: > 0 } secret ? secret : AssignmentKeyOptions.DevelopmentSecret));
        builder.Services.AddSingleton<OutcomePublisher>();
        builder.Services.AddSingleton<ClientErrorMetrics>();
        // First in line, so that every error on /v1 is written in OpenAI's shape and /api keeps problem details.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, OpenAiProblemDetailsWriter>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutcomePublisher>());
    }

    /// <summary>Refuses bodies over the limit before anything reads them: 413 as problem details (OpenAI's error body on /v1).</summary>
    public static WebApplication UseRequestBodyLimit(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var limit = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
            if (context.Request.ContentLength > limit)
            {
                await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                    $"The body is {context.Request.ContentLength} bytes; the gateway accepts at most {limit}.", OpenAiErrorCodes.RequestTooLarge);
                return;
            }
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }
            await next();
        });
        return app;
    }

    /// <summary>
    /// The YARP pipeline: failures become problem details; OpenAI requests get their domain and variant;
    /// then YARP's own balancing and health steps.
    /// </summary>
    public static IEndpointConventionBuilder MapGatewayProxy(this WebApplication app) =>
        app.MapReverseProxy(proxy =>
        {
            var inference = proxy.ApplicationServices.GetRequiredService<InferenceRouting>();
            proxy.Use(ProxyErrorProblemDetails.WriteOnErrorAsync);
            proxy.Use(inference.InvokeAsync);
            proxy.Use(RetryOnAnotherDestination.InvokeAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
}
