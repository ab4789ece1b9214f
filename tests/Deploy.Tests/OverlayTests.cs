using k8s.Models;

namespace DomainPlatform.Deploy.Tests;

public sealed class OverlayTests
{
    public static TheoryData<string> KustomizationDirectories() => [.. Kustomizations()];

    private static IEnumerable<string> Kustomizations() => Kustomization.All().Select(d => Path.GetRelativePath(Repository.K8s, d));

    [Fact]
    public void There_are_a_base_and_cpu_gpu_and_production_overlays()
    {
        Assert.Equal(["base", "overlays/cpu", "overlays/gpu", "overlays/production"], Kustomizations());
    }

    [Theory]
    [MemberData(nameof(KustomizationDirectories))]
    public void Every_kustomization_lists_files_that_exist_and_every_file_beside_it(string directory)
    {
        Problems.None(Kustomization.Read(Path.Combine(Repository.K8s, directory)).Problems());
    }

    [Fact]
    public void A_kustomization_with_an_unlisted_file_a_missing_resource_or_a_patch_without_target_is_caught()
    {
        var scratch = Directory.CreateTempSubdirectory("deploy-tests-");
        try
        {
            File.WriteAllText(Path.Combine(scratch.FullName, "kustomization.yaml"),
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + Path.Combine(Repository.K8s, "base") + "\n  - gone.yaml\npatches:\n  - path: patch.yaml\n");
            File.WriteAllText(Path.Combine(scratch.FullName, "patch.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nothere\n");
            File.WriteAllText(Path.Combine(scratch.FullName, "forgotten.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forgotten\n");
            var problems = Kustomization.Read(scratch.FullName).Problems();
            Assert.Contains(problems, p => p.EndsWith("resource gone.yaml is neither a file nor a folder with a kustomization.yaml", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.EndsWith("forgotten.yaml is not listed", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.EndsWith("patch patch.yaml targets apps/v1 Deployment nothere, which its resources lack", StringComparison.Ordinal));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_gpu_overlay_gives_inference_a_gpu_on_gpu_nodes()
    {
        var inference = Patch("gpu", "inference-gpu.yaml");
        var spec = inference.Spec.Template.Spec;
        var container = Assert.Single(spec.Containers);
        Assert.Equal(Manifests.Base().Deployment("inference").Spec.Template.Spec.Containers[0].Name, container.Name);
        Assert.True(container.Resources.Limits["nvidia.com/gpu"].ToDecimal() >= 1);
        Assert.Equal(container.Resources.Limits["nvidia.com/gpu"], container.Resources.Requests["nvidia.com/gpu"]);
        Assert.NotEmpty(spec.NodeSelector);
        Assert.Contains(spec.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
        Assert.EndsWith("-cuda", container.Env.Single(e => e.Name == "LLAMA_NATIVE_DIR").Value, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cpu_overlay_runs_inference_on_cpus_only()
    {
        var container = Assert.Single(Patch("cpu", "inference-cpu.yaml").Spec.Template.Spec.Containers);
        Assert.DoesNotContain(container.Resources.Limits.Keys.Concat(container.Resources.Requests.Keys), key => key.StartsWith("nvidia.com/", StringComparison.Ordinal));
        Assert.DoesNotContain("cuda", container.Env.Single(e => e.Name == "LLAMA_NATIVE_DIR").Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_runs_at_least_two_of_everything()
    {
        var production = Manifests.Load(Directory.GetFiles(Path.Combine(Repository.K8s, "overlays", "production"), "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)));
        var autoscaled = production.OfKind<V2HorizontalPodAutoscaler>().ToDictionary(h => h.Metadata.Name, h => h.Spec.MinReplicas);
        var replicas = production.OfKind<V1Deployment>().ToDictionary(d => d.Metadata.Name, d => d.Spec.Replicas);
        foreach (var name in Topology.Services)
        {
            var count = replicas.GetValueOrDefault(name) ?? autoscaled.GetValueOrDefault(name);
            Assert.True(count >= 2, $"{name}: {count?.ToString() ?? "no"} replicas in production");
        }
    }

    private static V1Deployment Patch(string overlay, string file) =>
        Assert.Single(Manifests.Load([Path.Combine(Repository.K8s, "overlays", overlay, file)])).As<V1Deployment>();
}
