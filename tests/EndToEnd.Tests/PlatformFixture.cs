using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// Boots the whole suite under the Aspire AppHost (Aspire.Hosting.Testing), once for every test class of the run: its
/// own Postgres, Redis and RabbitMQ on free ports with their data in a temporary folder (so it runs beside
/// <c>./platform test</c>'s servers and a developer's <c>up</c>), every service on free ports, no dashboard. Stopping the
/// application stops every process it started.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    private static readonly string[] Services = ["deployment", "experimentation", "extraction", "training", "inference", "gateway", "console"];

    /// <summary>
    /// Settings every service starts with: rollouts analysed every second, and a lease short enough that one held by a
    /// killed deployment process lapses quickly.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ServiceSettings = new Dictionary<string, string>
    {
        ["Deployment__RolloutPollInterval"] = "00:00:01",
        ["Deployment__RolloutLease"] = "00:00:05",
    };

    private DirectoryInfo? data;
    private DistributedApplication? app;
    private Uri? gateway;

    public Uri Gateway => gateway ?? throw new InvalidOperationException("The platform has not started.");
    public string? AdminKey { get; private set; }

    /// <summary>Each resource's console log, kept after the run (the AppHost writes them): .platform/e2e/logs/&lt;resource&gt;.log.</summary>
    public static string LogDirectory => Path.Combine(TestInfrastructure.RepositoryRoot, ".platform", "e2e", "logs");

    public HttpClient CreateClient()
    {
        var client = new HttpClient(new RetryAfterHandler()) { BaseAddress = Gateway, Timeout = TimeSpan.FromSeconds(100) };
        if (AdminKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public async ValueTask InitializeAsync()
    {
        // A hang guard, not a performance bound (every service was healthy after 45 s on the 2-core machine at load 2-3,
        // 70 s at load 20-30): a service that never becomes healthy fails the run instead of hanging it.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = guard.Token;
        data = Directory.CreateTempSubdirectory("e2e-apphost-");
        // Postgres runs as the postgres user, who must reach its data folder inside this one.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (Directory.Exists(LogDirectory)) Directory.Delete(LogDirectory, recursive: true);
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                [
                    "--environment=Development",
                    $"--Infrastructure:DataDirectory={data.FullName}",
                    $"--AppHost:LogDirectory={LogDirectory}",
                    // No dashboard (the testing builder leaves it out): telemetry goes to a free port nobody listens on,
                    // not to another run's dashboard on the default one.
                    $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Block(1)}",
                    "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
                ],
                ct);
            builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
            {
                var resource = builder.CreateResourceBuilder<ProjectResource>(project.Name);
                foreach (var (name, value) in ServiceSettings) resource.WithEnvironment(name, value);
            }

            app = await builder.BuildAsync(ct);
            await app.StartAsync(ct);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var service in Services)
            {
                var resource = await notifications.WaitForResourceAsync(service, e =>
                    e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct);
                if (resource.Snapshot.HealthStatus != HealthStatus.Healthy)
                {
                    throw new InvalidOperationException($"{service} is {resource.Snapshot.State?.Text} (exit code {resource.Snapshot.ExitCode}) " +
                        $"instead of healthy; resources: {Describe()}\nits console log ends:\n{await LogTailAsync(service)}");
                }
            }

            gateway = new Uri(app.GetEndpoint("gateway", "http"), "/");
            // The gateway writes the first admin key there once it has created it (AppHost: Gateway__AdminKeyFile).
            var keyFile = Path.Combine(data.FullName, "admin-key");
            if (File.Exists(keyFile)) AdminKey = (await File.ReadAllTextAsync(keyFile, ct)).Trim();
        }
        catch (Exception e)
        {
            var state = app is null ? "" : $"\nresources: {Describe()}";
            await DisposeAsync();
            if (e is OperationCanceledException) throw new TimeoutException($"The AppHost did not bring every service up in 10 minutes.{state}", e);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await app.StopAsync(guard.Token);
            }
            finally
            {
                await app.DisposeAsync();
                app = null;
            }
        }
        data?.Delete(recursive: true);
        data = null;
    }

    /// <summary>The environment the orchestrator started a service's process with (its resource snapshot).</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentOf(string service)
    {
        var running = app ?? throw new InvalidOperationException("The platform has not started.");
        if (!running.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(service, out var current))
        {
            throw new ArgumentException($"No resource named {service}.", nameof(service));
        }
        return current.Snapshot.EnvironmentVariables.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.Last().Value);
    }

    /// <summary>
    /// Stops one service and starts it again: with <paramref name="kill"/> its process tree gets SIGKILL, as a crash
    /// would; otherwise the service's own process gets SIGTERM and shuts down as it would on any host. Once the whole
    /// tree has ended and the orchestrator has seen it, the resource's start command brings it back. Returns once the
    /// new process is healthy.
    /// </summary>
    /// <remarks>
    /// Not the resources' stop or restart command for the graceful case: the orchestrator (DCP) gives a process about
    /// 12 s to stop and then reports the stop as failed, and every service here takes about that long to shut down
    /// (measured 2026-12-01), which left the resource half-stopped.
    /// </remarks>
    public async Task<ServiceRestart> RestartAsync(string service, bool kill, CancellationToken ct)
    {
        var running = app ?? throw new InvalidOperationException("The platform has not started.");
        var notifications = running.Services.GetRequiredService<ResourceNotificationService>();
        var commands = running.Services.GetRequiredService<ResourceCommandService>();
        if (!notifications.TryGetCurrentState(service, out var current)) throw new ArgumentException($"No resource named {service}.", nameof(service));
        // The resource's process is `dotnet run` of the project; the service is its child.
        var oldPid = Pid(current.Snapshot) ?? throw new InvalidOperationException($"{service} has no process ({current.Snapshot.State?.Text}).");
        var tree = ProcessTree(oldPid);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromMinutes(3));
        var since = DateTime.UtcNow;
        try
        {
            if (kill)
            {
                using var process = Process.GetProcessById(oldPid);
                process.Kill(entireProcessTree: true);
            }
            else
            {
                await SignalAsync("TERM", tree.Count > 1 ? tree.Skip(1) : tree, guard.Token);
            }
            var ended = await notifications.WaitForResourceAsync(service, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), guard.Token);
            while (tree.Any(IsAlive)) await Task.Delay(TimeSpan.FromMilliseconds(200), guard.Token);
            await ExecuteAsync(commands, service, KnownResourceCommands.StartCommand, guard.Token);
            // Healthy by a check that ran after the restart: the snapshot keeps the last process's reports until then.
            var back = await notifications.WaitForResourceAsync(service, e => Pid(e.Snapshot) is { } pid && pid != oldPid
                && e.Snapshot.HealthStatus == HealthStatus.Healthy && e.Snapshot.HealthReports.All(r => r.LastRunAt >= since), guard.Token);
            await notifications.WaitForResourceHealthyAsync(service, guard.Token);
            return new ServiceRestart(service, oldPid, Pid(back.Snapshot)!.Value, ended.Snapshot.ExitCode);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{service} was not healthy again 3 minutes after its {(kill ? "kill" : "stop")}; resources: {Describe()}\n" +
                $"its console log ends:\n{await LogTailAsync(service)}");
        }
    }

    /// <summary>A process and its descendants as they are now (Linux: parents read from /proc/&lt;pid&gt;/stat).</summary>
    private static List<int> ProcessTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) || Stat(pid) is not { } stat) continue;
            parents[pid] = int.Parse(stat.Split(' ')[1], CultureInfo.InvariantCulture);
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++) tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        return tree;
    }

    /// <summary>Alive and not a zombie waiting to be reaped.</summary>
    private static bool IsAlive(int pid) => Stat(pid) is { } stat && stat[0] != 'Z';

    /// <summary>The fields of /proc/&lt;pid&gt;/stat after the command name, from the state on; null once it is gone.</summary>
    private static string? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // .NET sends only SIGKILL to another process; kill(1) sends the rest.
    private static async Task SignalAsync(string signal, IEnumerable<int> pids, CancellationToken ct)
    {
        using var process = Process.Start(new ProcessStartInfo("kill", ["-" + signal, .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))])
        {
            RedirectStandardError = true,
        })!;
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} failed ({process.ExitCode}): {error}");
    }

    private static async Task ExecuteAsync(ResourceCommandService commands, string service, string command, CancellationToken ct)
    {
        var result = await commands.ExecuteCommandAsync(service, command, ct);
        if (!result.Success) throw new InvalidOperationException($"{command} on {service} failed: {result.Message}");
    }

    // The orchestrator's process id of an executable or project resource (the property the dashboard shows as Process ID).
    private static int? Pid(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int pid => pid,
            long pid => (int)pid,
            string text when int.TryParse(text, CultureInfo.InvariantCulture, out var pid) => pid,
            _ => null,
        };

    private string Describe()
    {
        if (app is null) return "(not built)";
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        return string.Join(", ", model.Resources.Select(r => notifications.TryGetCurrentState(r.Name, out var e)
            ? $"{r.Name} {e.Snapshot.State?.Text} {e.Snapshot.HealthStatus}" : $"{r.Name} ?"));
    }

    /// <summary>The last lines of a resource's console log that the AppHost still holds.</summary>
    private async Task<string> LogTailAsync(string resource)
    {
        if (app is null) return "";
        var lines = new List<string>();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(resource).WithCancellation(enough.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
        }
        catch (OperationCanceledException)
        {
            // The backlog has been read: the watch only waits for new lines now.
        }
        return string.Join('\n', lines.TakeLast(40));
    }
}

/// <summary>What <see cref="PlatformFixture.RestartAsync"/> did: the process before and after, and how the first one ended.</summary>
public sealed record ServiceRestart(string Service, int OldPid, int NewPid, int? ExitCode);

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
