using System.Net;
using DomainPlatform.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ServiceDiscovery;
using Yarp.ReverseProxy.Forwarder;

namespace DomainPlatform.Gateway.Tests;

public sealed class ProxyConfigTests
{
    [Fact]
    public void Every_prefix_has_exactly_one_owner()
    {
        var prefixes = ServiceCatalog.Services.SelectMany(s => s.AllPrefixes).ToList();
        Assert.Equal(prefixes.Count, prefixes.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(prefixes, p => Assert.True(p.StartsWith('/') && !p.EndsWith('/'), $"'{p}' must start and not end with '/'"));
    }

    [Fact]
    public void Every_route_points_at_an_existing_cluster_and_route_ids_are_unique()
    {
        var routes = ProxyConfigBuilder.BuildRoutes(ServiceCatalog.Services);
        var clusters = ProxyConfigBuilder.BuildClusters(ServiceCatalog.Services).Select(c => c.ClusterId).ToHashSet();
        Assert.All(routes, r => Assert.Contains(r.ClusterId!, clusters));
        Assert.Equal(routes.Count, routes.Select(r => r.RouteId).Distinct().Count());
    }

    [Fact]
    public void The_console_is_one_anonymous_route_for_every_method_with_its_path_unchanged()
    {
        var console = Assert.Single(ServiceCatalog.Services, s => s.Kind == ApiKind.WebUi);
        var route = Assert.Single(ProxyConfigBuilder.BuildRoutes([console]));
        Assert.Equal("/console/{**rest}", route.Match.Path);
        Assert.Null(route.Match.Methods);
        Assert.Equal(Auth.Policies.Anonymous, route.AuthorizationPolicy);
        Assert.Null(route.Transforms);
        Assert.Equal(ProxyConfigBuilder.WebUiTimeout, ProxyConfigBuilder.ClusterFor(console).HttpRequest!.ActivityTimeout);
    }

    [Fact]
    public void Inferences_model_figures_are_routed_for_reading_only_to_viewers_and_above()
    {
        var inference = Assert.Single(ServiceCatalog.Services, s => s.Name == ServiceCatalog.Inference);
        var route = Assert.Single(ProxyConfigBuilder.BuildRoutes([inference]), r => r.Match.Path == "/api/inference/{**rest}");
        Assert.Equal(ProxyConfigBuilder.ReadMethods, route.Match.Methods);
        Assert.Equal(Auth.Policies.ReadApis, route.AuthorizationPolicy);
        Assert.Equal(ServiceCatalog.Inference, route.ClusterId);
    }

    [Fact]
    public void The_openapi_index_lists_every_api_but_not_the_console()
    {
        var links = Apis.OpenApiIndexApi.ListDocuments(new DefaultHttpContext().Request).Value!;
        Assert.DoesNotContain(links, l => l.Service == ServiceCatalog.Console);
        Assert.Equal(["gateway", "deployment", "experimentation", "extraction", "training", "inference"], links.Select(l => l.Service).ToList());
    }

    [Fact]
    public void Openapi_route_rewrites_to_the_service_document_path()
    {
        var service = new BackendService("extraction", ["/api/sources"]);
        var route = Assert.Single(ProxyConfigBuilder.BuildRoutes([service]), r => r.Match.Path == "/openapi/extraction/v1.json");
        var transform = Assert.Single(route.Transforms!);
        Assert.Equal("/openapi/v1.json", transform["PathSet"]);
    }

    [Fact]
    public void Clusters_address_services_by_discovery_name()
    {
        var cluster = ProxyConfigBuilder.ClusterFor(new BackendService("training", ["/api/training"]));
        Assert.Equal("training", cluster.ClusterId);
        Assert.Equal("http://training", Assert.Single(cluster.Destinations!).Value.Address);
    }

    [Fact]
    public void Rebase_keeps_the_path_and_takes_host_and_port_from_an_ip_endpoint()
    {
        var rebased = DestinationAddress.Rebase(new Uri("http://deployment/base/"), new IPEndPoint(IPAddress.Loopback, 47001));
        Assert.Equal("http://127.0.0.1:47001/base/", rebased.ToString());
    }

    [Fact]
    public void Rebase_takes_scheme_host_and_port_from_a_uri_endpoint()
    {
        var rebased = DestinationAddress.Rebase(new Uri("http://deployment"), new UriEndPoint(new Uri("https://10.0.0.5:8443")));
        Assert.Equal("https://10.0.0.5:8443/", rebased.ToString());
    }

    [Fact]
    public void Rebase_of_a_dns_endpoint_without_port_uses_the_scheme_default()
    {
        var rebased = DestinationAddress.Rebase(new Uri("http://inference"), new DnsEndPoint("inference.svc.cluster.local", 0));
        Assert.Equal("http://inference.svc.cluster.local/", rebased.ToString());
    }

    [Fact]
    public void Rebase_refuses_relative_destinations()
    {
        Assert.Throws<ArgumentException>(() => DestinationAddress.Rebase(new Uri("/relative", UriKind.Relative), new IPEndPoint(IPAddress.Loopback, 1)));
    }

    [Theory]
    [InlineData(ForwarderError.NoAvailableDestinations, StatusCodes.Status503ServiceUnavailable)]
    [InlineData(ForwarderError.Request, StatusCodes.Status502BadGateway)]
    [InlineData(ForwarderError.RequestTimedOut, StatusCodes.Status504GatewayTimeout)]
    [InlineData(ForwarderError.RequestBodyClient, StatusCodes.Status400BadRequest)]
    [InlineData(ForwarderError.ResponseBodyDestination, StatusCodes.Status502BadGateway)]
    public void Forwarding_errors_map_to_statuses_that_name_the_service(ForwarderError error, int status)
    {
        var (actual, _, detail) = ProxyErrorProblemDetails.Describe(error, "training");
        Assert.Equal(status, actual);
        if (status != StatusCodes.Status400BadRequest) Assert.Contains("training", detail);
    }
}
