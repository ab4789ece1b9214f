using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace DomainPlatform.Deploy.Tests;

/// <summary>One object of a manifest file: Kubernetes' own kinds as the KubernetesClient models, others (the Prometheus
/// Operator's, Kustomize's) as plain YAML maps.</summary>
public sealed record Manifest(string File, string ApiVersion, string Kind, string Name, object Value)
{
    public T As<T>() => (T)Value;

    /// <summary>A value at a path of keys in a plain YAML map (<c>spec</c>, <c>groups</c>).</summary>
    public object? Raw(params string[] path)
    {
        object? node = Value;
        foreach (var key in path) node = node is IDictionary<object, object> map && map.TryGetValue(key, out var next) ? next : null;
        return node;
    }
}

public static partial class Manifests
{
    private static readonly IDeserializer Plain = new DeserializerBuilder().Build();

    /// <summary>API groups the KubernetesClient has no models for: the Prometheus Operator's custom resources.</summary>
    private static readonly string[] PlainGroups = ["monitoring.coreos.com/"];

    /// <summary>Every object in the files, each document parsed strictly (an unknown field fails) into its model.</summary>
    public static List<Manifest> Load(IEnumerable<string> files) => [.. files.SelectMany(file => Parse(file, File.ReadAllText(file)))];

    public static List<Manifest> Base() => Load(Directory.GetFiles(Path.Combine(Repository.K8s, "base", "manifests"), "*.yaml").Order());

    public static IEnumerable<Manifest> Parse(string file, string text)
    {
        foreach (var document in DocumentSeparator().Split(text))
        {
            if (Plain.Deserialize<IDictionary<object, object>?>(document) is not { } map) continue;
            var apiVersion = map.TryGetValue("apiVersion", out var a) ? a as string : null;
            var kind = map.TryGetValue("kind", out var k) ? k as string : null;
            if (apiVersion is null || kind is null) throw new InvalidDataException($"{file}: a document without apiVersion and kind");
            var name = map.TryGetValue("metadata", out var m) && m is IDictionary<object, object> metadata && metadata.TryGetValue("name", out var n)
                ? n as string ?? "" : "";
            object value = PlainGroups.Any(group => apiVersion.StartsWith(group, StringComparison.Ordinal))
                ? map
                : ParseModel(file, document);
            yield return new Manifest(file, apiVersion, kind, name, value);
        }
    }

    private static object ParseModel(string file, string document)
    {
        try
        {
            return KubernetesYaml.LoadAllFromString(document, strict: true).Single();
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{Path.GetRelativePath(Repository.Root, file)}: {e.Message}", e);
        }
    }

    public static IEnumerable<T> OfKind<T>(this IEnumerable<Manifest> manifests) => manifests.Select(m => m.Value).OfType<T>();

    public static V1Deployment Deployment(this IEnumerable<Manifest> manifests, string name) =>
        manifests.OfKind<V1Deployment>().Single(d => d.Metadata.Name == name);

    /// <summary>The environment a container starts with: its envFrom ConfigMaps and Secrets (which must exist), then env.</summary>
    public static Dictionary<string, string> Environment(this IReadOnlyCollection<Manifest> manifests, V1Container container)
    {
        var environment = new Dictionary<string, string>();
        foreach (var source in container.EnvFrom ?? [])
        {
            if (source.ConfigMapRef is { } configMapRef)
            {
                var configMap = manifests.OfKind<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == configMapRef.Name)
                    ?? throw new InvalidDataException($"{container.Name}: envFrom names ConfigMap {configMapRef.Name}, which no manifest defines");
                foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>()) environment[key] = value;
            }
            if (source.SecretRef is { } secretRef)
            {
                var secret = manifests.OfKind<V1Secret>().SingleOrDefault(s => s.Metadata.Name == secretRef.Name)
                    ?? throw new InvalidDataException($"{container.Name}: envFrom names Secret {secretRef.Name}, which no manifest defines");
                foreach (var (key, value) in secret.StringData ?? new Dictionary<string, string>()) environment[key] = value;
            }
        }
        foreach (var variable in container.Env ?? []) environment[variable.Name] = variable.Value ?? $"<from {variable.ValueFrom}>";
        return environment;
    }

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}
