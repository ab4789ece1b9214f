using System.Diagnostics;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Platform.Tests;

/// <summary>Runs bash against the repository's <c>./platform</c>, sourced (its functions only) or as a command.</summary>
internal static class Launcher
{
    /// <summary>Fixed infrastructure ports, so that results do not depend on a running or recorded infrastructure.</summary>
    private static readonly Dictionary<string, string> FixedPorts = new()
    {
        ["PLATFORM_PG_PORT"] = "25432",
        ["PLATFORM_REDIS_PORT"] = "26379",
        ["PLATFORM_AMQP_PORT"] = "25672",
        ["PLATFORM_RABBITMQ_MGMT_PORT"] = "25673",
        ["PLATFORM_RABBITMQ_DIST_PORT"] = "25674",
        ["PLATFORM_EPMD_PORT"] = "24369",
    };

    public static string Root => TestInfrastructure.RepositoryRoot;

    /// <summary>Sources ./platform, then runs the snippet; the snippet's stdout, or an exception with stderr.</summary>
    public static async Task<string> SourcedAsync(string snippet, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(["-c", $"source ./platform\n{snippet}"], environment);
        return result.Code == 0
            ? result.Stdout
            : throw new InvalidOperationException($"bash exited with {result.Code}: {result.Stderr}");
    }

    public static Task<(int Code, string Stdout, string Stderr)> CommandAsync(params string[] arguments) =>
        RunAsync(["./platform", .. arguments], null);

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in new[] { "ASPNETCORE_ENVIRONMENT", "PLATFORM_PROFILE", "PLATFORM_PORT_BASE" }) start.Environment.Remove(name);
        foreach (var (name, value) in FixedPorts) start.Environment[name] = value;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The environment ./platform gives one service of a profile, as name → value.</summary>
    public static async Task<Dictionary<string, string>> ServiceEnvironmentAsync(
        string service, string profile, int? portBase = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var output = await SourcedAsync($$"""
            infra_config
            profile_config '{{profile}}' '{{portBase}}'
            for line in "${PLATFORM_SERVICES[@]}"; do
              service_fields "$line"
              if [[ $NAME == '{{service}}' ]]; then service_env; printf '%s\n' "${ENV_ARGS[@]}"; fi
            done
            """, environment);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
    }
}
