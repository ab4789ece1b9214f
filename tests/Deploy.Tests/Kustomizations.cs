using YamlDotNet.Serialization;

namespace DomainPlatform.Deploy.Tests;

/// <summary>What Kustomize would read from a kustomization.yaml: its resources (files, or folders holding their own
/// kustomization.yaml, resolved recursively), patches and image overrides. Problems are returned, not thrown.</summary>
public sealed class Kustomization
{
    private static readonly IDeserializer Plain = new DeserializerBuilder().Build();

    public required string Directory { get; init; }
    public List<string> Resources { get; } = [];
    public List<string> Patches { get; } = [];
    public List<string> ImageNames { get; } = [];

    public static Kustomization Read(string directory)
    {
        var map = Plain.Deserialize<Dictionary<string, object>>(File.ReadAllText(Path.Combine(directory, "kustomization.yaml")));
        var kustomization = new Kustomization { Directory = directory };
        if (map.GetValueOrDefault("kind") as string != "Kustomization") throw new InvalidDataException($"{directory}: kind is not Kustomization");
        foreach (var key in map.Keys.Except(["apiVersion", "kind", "namespace", "resources", "patches", "images"]))
        {
            throw new InvalidDataException($"{directory}/kustomization.yaml: field {key} is not one these tests read");
        }
        kustomization.Resources.AddRange(Strings(map.GetValueOrDefault("resources")));
        foreach (var patch in map.GetValueOrDefault("patches") as List<object> ?? [])
        {
            kustomization.Patches.Add((patch as Dictionary<object, object>)?.GetValueOrDefault("path") as string
                ?? throw new InvalidDataException($"{directory}: a patch without path (only file patches are used here)"));
        }
        foreach (var image in map.GetValueOrDefault("images") as List<object> ?? [])
        {
            kustomization.ImageNames.Add((string)((Dictionary<object, object>)image)["name"]);
        }
        return kustomization;
    }

    private static IEnumerable<string> Strings(object? list) => (list as List<object> ?? []).Cast<string>();

    /// <summary>Every manifest file this kustomization renders from (its own and its bases'), after the problems found.</summary>
    public List<string> ResourceFiles(List<string> problems)
    {
        var files = new List<string>();
        foreach (var resource in Resources)
        {
            var path = Path.GetFullPath(Path.Combine(Directory, resource));
            if (File.Exists(path)) files.Add(path);
            else if (File.Exists(Path.Combine(path, "kustomization.yaml"))) files.AddRange(Read(path).ResourceFiles(problems));
            else problems.Add($"{Directory}: resource {resource} is neither a file nor a folder with a kustomization.yaml");
        }
        return files;
    }

    /// <summary>Everything wrong with this kustomization: missing files, files beside it that nothing lists, patches
    /// whose target (kind and name) is not among its resources, image overrides that match no image.</summary>
    public List<string> Problems()
    {
        var problems = new List<string>();
        var resourceFiles = ResourceFiles(problems);
        var resources = Manifests.Load(resourceFiles);
        var listed = Resources.Concat(Patches).Select(entry => Path.GetFullPath(Path.Combine(Directory, entry))).ToHashSet();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.y*ml", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == "kustomization.yaml") continue;
            // A file under a nested kustomization belongs to that one.
            var owner = Path.GetDirectoryName(file)!;
            while (owner != Directory && !File.Exists(Path.Combine(owner, "kustomization.yaml"))) owner = Path.GetDirectoryName(owner)!;
            if (owner == Directory && !listed.Contains(Path.GetFullPath(file))) problems.Add($"{Directory}: {Path.GetRelativePath(Directory, file)} is not listed");
        }
        foreach (var patch in Patches)
        {
            var path = Path.Combine(Directory, patch);
            if (!File.Exists(path)) { problems.Add($"{Directory}: patch {patch} does not exist"); continue; }
            foreach (var target in Manifests.Load([path]))
            {
                if (!resources.Any(r => r.Kind == target.Kind && r.ApiVersion == target.ApiVersion && r.Name == target.Name))
                {
                    problems.Add($"{Directory}: patch {patch} targets {target.ApiVersion} {target.Kind} {target.Name}, which its resources lack");
                }
            }
        }
        var images = resources.OfKind<k8s.Models.V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers).Select(c => c.Image.Split(':')[0]).ToHashSet();
        foreach (var image in ImageNames.Where(name => !images.Contains(name))) problems.Add($"{Directory}: images names {image}, which no container uses");
        return problems;
    }

    public static IEnumerable<string> All() => System.IO.Directory
        .EnumerateFiles(Repository.K8s, "kustomization.yaml", SearchOption.AllDirectories)
        .Select(Path.GetDirectoryName).OfType<string>().Order();
}
