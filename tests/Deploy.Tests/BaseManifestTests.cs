using System.Text.RegularExpressions;
using k8s.Models;

namespace DomainPlatform.Deploy.Tests;

/// <summary>The base under deploy/k8s/base: nothing here reaches a cluster, so parsing every manifest into the
/// KubernetesClient models (strictly: an unknown or misspelt field fails) and these rules are its validation.</summary>
public sealed class BaseManifestTests
{
    private readonly List<Manifest> _base = Manifests.Base();

    [Fact]
    public void The_topology_these_tests_hold_is_the_launchers()
    {
        var launcher = Repository.LauncherServices();
        Assert.Equal(launcher.Select(s => s.Name).Order(), Topology.Services.Order());
        foreach (var (name, _, hasGrpc) in launcher) Assert.True(Topology.HasGrpc(name) == hasGrpc, $"{name}: gRPC endpoint differs from deploy/topology.sh");
    }

    [Fact]
    public void Every_service_has_a_deployment_a_service_and_a_disruption_budget_over_its_pods()
    {
        foreach (var name in Topology.Services)
        {
            var deployment = _base.Deployment(name);
            var podLabels = deployment.Spec.Template.Metadata.Labels;
            Assert.All(deployment.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, podLabels[label.Key]));
            var service = Assert.Single(_base.OfKind<V1Service>(), s => s.Metadata.Name == name);
            Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, podLabels[label.Key]));
            var containerPorts = deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Ports).Select(p => p.Name).ToHashSet();
            Assert.All(service.Spec.Ports, port => Assert.Contains(port.TargetPort.ToString(), containerPorts));
            Assert.Equal(Topology.HasGrpc(name) ? ["grpc", "http"] : ["http"], service.Spec.Ports.Select(p => p.Name).Order());
            var budget = Assert.Single(_base.OfKind<V1PodDisruptionBudget>(), b => b.Metadata.Name == name);
            Assert.All(budget.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, podLabels[label.Key]));
        }
    }

    [Fact]
    public void Every_deployment_probes_health_and_alive_and_has_requests_and_limits()
    {
        Problems.None(Checks.ProbesAndResources(_base));
    }

    [Fact]
    public void A_deployment_without_its_readiness_probe_or_memory_limit_is_caught()
    {
        var broken = Manifests.Base();
        var container = broken.Deployment("training").Spec.Template.Spec.Containers[0];
        container.ReadinessProbe = null;
        container.Resources.Limits.Remove("memory");
        var problems = Checks.ProbesAndResources(broken);
        Assert.Contains("training/training: readiness probe is not GET /health on port http", problems);
        Assert.Contains("training/training: memory needs a request and a limit", problems);
    }

    [Fact]
    public void Every_image_is_its_projects_container_repository()
    {
        foreach (var (name, project, _) in Repository.LauncherServices())
        {
            var csproj = File.ReadAllText(Path.Combine(Repository.Root, project));
            var repository = Regex.Match(csproj, "<ContainerRepository>([^<]+)</ContainerRepository>");
            Assert.True(repository.Success, $"{project} sets no ContainerRepository");
            var image = Assert.Single(_base.Deployment(name).Spec.Template.Spec.Containers).Image;
            Assert.Matches($"^{Regex.Escape(Checks.Registry)}/{Regex.Escape(repository.Groups[1].Value)}:[0-9]+\\.[0-9]+\\.[0-9]+$", image);
        }
    }

    [Fact]
    public void Every_container_has_the_connection_strings_and_discovery_the_apphost_gives_its_service()
    {
        Problems.None(Checks.EnvironmentContract(_base));
    }

    [Fact]
    public void A_missing_or_extra_reference_is_caught()
    {
        var broken = Manifests.Base();
        var discovery = broken.OfKind<V1ConfigMap>().Single(c => c.Metadata.Name == "inference-discovery");
        discovery.Data.Remove("services__deployment__grpc__0");
        discovery.Data["services__gateway__http__0"] = "http://gateway:8080";
        broken.OfKind<V1Secret>().Single(s => s.Metadata.Name == "console-connections").StringData["ConnectionStrings__redis"] = "x";
        var problems = Checks.EnvironmentContract(broken);
        Assert.Contains(problems, p => p.StartsWith("inference: discovery", StringComparison.Ordinal) && p.Contains("services__gateway__http__0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("console: ConnectionStrings ConnectionStrings__eventbus, ConnectionStrings__redis;", StringComparison.Ordinal));
    }

    [Fact]
    public void Secrets_hold_placeholders_only()
    {
        var secrets = _base.OfKind<V1Secret>().ToList();
        Assert.Equal(Topology.Services.Length, secrets.Count);
        Assert.All(secrets, secret =>
        {
            Assert.Null(secret.Data);
            Assert.All(secret.StringData, entry => Assert.Contains("REPLACE-ME", entry.Value, StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Only_the_gateway_is_reachable_and_each_service_only_from_its_callers()
    {
        Problems.None(Checks.NetworkPolicies(_base));
    }

    [Fact]
    public void A_policy_that_lets_in_a_non_caller_an_exposed_service_or_an_ingress_to_metrics_is_caught()
    {
        var broken = Manifests.Base();
        var training = broken.OfKind<V1NetworkPolicy>().Single(p => p.Metadata.Name == "training");
        training.Spec.Ingress[0].FromProperty.Add(new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "console" } } });
        broken.OfKind<V1Service>().Single(s => s.Metadata.Name == "inference").Spec.Type = "LoadBalancer";
        broken.OfKind<V1Ingress>().Single().Spec.Rules[0].Http.Paths[0].Path = "/";
        var problems = Checks.NetworkPolicies(broken);
        Assert.Contains(problems, p => p.StartsWith("training: lets in console,", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Service inference is LoadBalancer", StringComparison.Ordinal));
        Assert.Contains("Ingress path / exposes the gateway's /metrics", problems);
    }

    [Fact]
    public void The_gateway_scales_on_cpu_and_inference_on_metrics_prometheus_adapter_serves()
    {
        var autoscalers = _base.OfKind<V2HorizontalPodAutoscaler>().ToDictionary(h => h.Metadata.Name);
        Assert.Equal(["gateway", "inference"], autoscalers.Keys.Order());
        foreach (var (name, autoscaler) in autoscalers)
        {
            Assert.Equal(("Deployment", name), (autoscaler.Spec.ScaleTargetRef.Kind, autoscaler.Spec.ScaleTargetRef.Name));
            _base.Deployment(name);
        }
        Assert.Equal("cpu", Assert.Single(autoscalers["gateway"].Spec.Metrics).Resource.Name);
        var adapterRules = File.ReadAllText(Path.Combine(Repository.K8s, "prometheus-adapter", "rules.yaml"));
        var inferenceMetrics = autoscalers["inference"].Spec.Metrics;
        Assert.NotEmpty(inferenceMetrics);
        Assert.All(inferenceMetrics, metric =>
        {
            Assert.Equal("Pods", metric.Type);
            Assert.Contains($"as: {metric.Pods.Metric.Name}\n", adapterRules, StringComparison.Ordinal);
            // The series the adapter reads is one docs/inference.md names as inference's Prometheus output.
            Assert.Contains($"`{metric.Pods.Metric.Name}`", File.ReadAllText(Path.Combine(Repository.Root, "docs", "inference.md")), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Prometheus_scrapes_every_service_and_alerts_with_the_repositorys_rules()
    {
        var monitor = Assert.Single(_base, m => m.Kind == "ServiceMonitor");
        var selector = (IDictionary<object, object>)monitor.Raw("spec", "selector", "matchLabels")!;
        var endpoint = (IDictionary<object, object>)Assert.Single((List<object>)monitor.Raw("spec", "endpoints")!);
        Assert.Equal("/metrics", endpoint["path"]);
        foreach (var name in Topology.Services)
        {
            var service = _base.OfKind<V1Service>().Single(s => s.Metadata.Name == name);
            Assert.All(selector, label => Assert.Equal(label.Value, service.Metadata.Labels[(string)label.Key]));
            Assert.Contains(service.Spec.Ports, p => p.Name == (string)endpoint["port"]);
        }
        var rule = Assert.Single(_base, m => m.Kind == "PrometheusRule");
        var alerts = new YamlDotNet.Serialization.DeserializerBuilder().Build()
            .Deserialize<Dictionary<object, object>>(File.ReadAllText(Path.Combine(Repository.Root, "deploy", "prometheus", "alerts.yml")));
        var serializer = new YamlDotNet.Serialization.SerializerBuilder().Build();
        Assert.Equal(serializer.Serialize(alerts["groups"]), serializer.Serialize(rule.Raw("spec", "groups")));
    }
}
