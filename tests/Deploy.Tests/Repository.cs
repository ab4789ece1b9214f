namespace DomainPlatform.Deploy.Tests;

public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string K8s => Path.Combine(Root, "deploy", "k8s");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DomainPlatform.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException($"No DomainPlatform.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>deploy/topology.sh's PLATFORM_SERVICES rows: name, project, http offset, grpc offset ("-" for none).</summary>
    public static IReadOnlyList<(string Name, string Project, bool HasGrpc)> LauncherServices()
    {
        var text = File.ReadAllText(Path.Combine(Root, "deploy", "topology.sh"));
        var start = text.IndexOf("PLATFORM_SERVICES=(", StringComparison.Ordinal);
        var end = text.IndexOf(')', start);
        return [.. text[(start + "PLATFORM_SERVICES=(".Length)..end]
            .Split('\n')
            .Select(line => line.Trim().Trim('"').Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length == 4)
            .Select(columns => (columns[0], columns[1], columns[3] != "-"))];
    }
}
