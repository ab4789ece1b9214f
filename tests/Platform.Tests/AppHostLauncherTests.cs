using System.Net;
using System.Net.Http.Headers;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Platform.Tests;

/// <summary>
/// <c>./platform up</c> runs the platform under the Aspire AppHost; status, logs, restart and down work over it. One
/// whole start (its own servers, every service, the dashboard) under a profile of its own, stopped and purged at the end.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the launcher is bash on Linux
public sealed class AppHostLauncherTests(ITestOutputHelper output)
{
    private static readonly string[] Services = ["gateway", "deployment", "experimentation", "extraction", "training", "inference"];

    [Fact]
    public async Task Up_runs_every_service_under_the_apphost_with_the_launchers_settings_and_status_logs_restart_and_down_work_over_it()
    {
        var profile = "apphost-" + Guid.NewGuid().ToString("N")[..6];
        var portBase = FreePorts.Block();
        var runDirectory = Path.Combine(Launcher.Root, ".platform", "run", profile);
        try
        {
            // The test run builds the AppHost first (it is in the CI build and referenced by this project).
            var up = await Launcher.CommandAsync("up", "-d", "--no-build", "--profile", profile, "--port-base", portBase.ToString(), "--timeout", "600");
            output.WriteLine(up.Stdout);
            Assert.True(up.Code == 0, $"up exited with {up.Code}:\n{up.Stdout}\n{up.Stderr}");
            Assert.Contains($"Gateway: http://127.0.0.1:{portBase}", up.Stdout);
            var adminKey = Assert.Single(up.Stdout.Split('\n'), line => line.StartsWith("Admin key: ", StringComparison.Ordinal))["Admin key: ".Length..];
            Assert.Matches($@"(?m)^Dashboard: http://127\.0\.0\.1:{portBase + 16}/login\?t=[0-9a-f]+$", up.Stdout);

            // The printed admin key works at the gateway.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portBase}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/domains", TestContext.Current.CancellationToken)).StatusCode);

            var status = await Launcher.CommandAsync("status", "--profile", profile);
            Assert.True(status.Code == 0, status.Stdout + status.Stderr);
            var pids = Services.ToDictionary(service => service, service => Pid(status.Stdout, service));

            // The same settings as the launcher's processes: names of the platform's own settings per service, and the
            // values that do not depend on where the servers run. The secret is the profile's own file under both.
            var secretFile = Path.Combine(runDirectory, "assignment-key-secret");
            var secret = await File.ReadAllTextAsync(secretFile, TestContext.Current.CancellationToken);
            Assert.Matches("^[0-9a-f]{64}$", secret);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
            foreach (var service in Services)
            {
                var underAppHost = await ProcessEnvironmentAsync(pids[service]);
                var asProcess = await Launcher.ServiceEnvironmentAsync(service, profile, portBase);
                Assert.Equal(PlatformSettings(service, asProcess.Keys), PlatformSettings(service, underAppHost.Keys));
                foreach (var key in new[] { "ASPNETCORE_ENVIRONMENT", "OTEL_SERVICE_NAME", "Inference__DemoModel", "Training__Trainer", "Training__BaseModelPath", "Platform__AssignmentKeySecret" })
                {
                    Assert.Equal(asProcess.GetValueOrDefault(key), underAppHost.GetValueOrDefault(key));
                }
            }
            Assert.Equal(secret, (await ProcessEnvironmentAsync(pids["gateway"]))["Platform__AssignmentKeySecret"]);

            // Every resource's console log is a file.
            var logs = await Launcher.CommandAsync("logs", "gateway", "--profile", profile, "-n", "500");
            Assert.True(logs.Code == 0, logs.Stderr);
            Assert.Contains("Now listening on", logs.Stdout);
            Assert.DoesNotContain("\u001b[", logs.Stdout); // the console's colours are left out of the file
            Assert.Equal(0, (await Launcher.CommandAsync("logs", "postgres", "--profile", profile)).Code);

            // A crash: the orchestrator starts the service again and it answers its /health.
            var restart = await Launcher.CommandAsync("restart", "inference", "--kill", "--profile", profile, "--timeout", "300");
            Assert.True(restart.Code == 0, restart.Stdout + restart.Stderr);
            Assert.Contains("Killed inference", restart.Stdout);
            Assert.Matches(@"(?m)^\s+inference\s+healthy$", restart.Stdout);
            var after = await Launcher.CommandAsync("status", "--profile", profile);
            Assert.True(after.Code == 0, after.Stdout + after.Stderr);
            Assert.NotEqual(pids["inference"], Pid(after.Stdout, "inference"));
            Assert.False(IsRunning(pids["inference"]), $"the killed inference process {pids["inference"]} is still running");
            Assert.Equal(pids["gateway"], Pid(after.Stdout, "gateway"));

            var everything = ProcessTree(File.ReadAllText(Path.Combine(runDirectory, "apphost.pid")).Trim());
            var down = await Launcher.CommandAsync("down", "--profile", profile, "--purge");
            Assert.True(down.Code == 0, down.Stdout + down.Stderr);
            Assert.DoesNotContain("still running", down.Stderr);
            Assert.DoesNotContain(everything, IsRunning);
            Assert.False(Directory.Exists(runDirectory));
            Assert.True(FreePorts.IsFree(portBase), $"port {portBase} is still taken after down");
        }
        finally
        {
            if (Directory.Exists(runDirectory)) await Launcher.CommandAsync("down", "--profile", profile, "--purge");
        }
    }

    /// <summary>The PID column of a service's line in <c>./platform status</c>.</summary>
    private static int Pid(string status, string service)
    {
        var line = Assert.Single(status.Split('\n'), l => l.TrimStart().StartsWith(service + " ", StringComparison.Ordinal));
        var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(columns[2] == "Running" && columns[3] == "Healthy", line);
        return int.Parse(columns[4]);
    }

    /// <summary>
    /// The platform's own settings a service starts with, by name: the Aspire contract and the platform's sections. Service
    /// discovery of itself and of the gateway (the launcher gives every service all of them) is left out.
    /// </summary>
    private static string[] PlatformSettings(string service, IEnumerable<string> names) => names
        .Where(name => name is "ASPNETCORE_ENVIRONMENT" or "OTEL_SERVICE_NAME"
            || new[] { "ConnectionStrings__", "Inference__", "Gateway__", "Platform__", "Extraction__", "Training__" }.Any(p => name.StartsWith(p, StringComparison.Ordinal))
            || name.StartsWith("Kestrel__Endpoints__", StringComparison.Ordinal) && name.EndsWith("__Url", StringComparison.Ordinal)
            || name.StartsWith("services__", StringComparison.Ordinal) && !name.StartsWith($"services__{service}__", StringComparison.Ordinal)
                && !name.StartsWith("services__gateway__", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToArray();

    private static async Task<Dictionary<string, string>> ProcessEnvironmentAsync(int pid) =>
        (await File.ReadAllTextAsync($"/proc/{pid}/environ", TestContext.Current.CancellationToken))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .GroupBy(pair => pair[0])
            .ToDictionary(g => g.Key, g => g.Last().ElementAtOrDefault(1) ?? "");

    /// <summary>The AppHost, its orchestrator (which watches the AppHost's pid from a session of its own) and every descendant.</summary>
    private static List<int> ProcessTree(string appHostPid)
    {
        var parents = new Dictionary<int, int>();
        var roots = new HashSet<int> { int.Parse(appHostPid) };
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Contains($"--monitor {appHostPid} ", StringComparison.Ordinal)) roots.Add(pid);
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }
        var tree = new HashSet<int>(roots);
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                if (!tree.Contains(pid) && tree.Contains(parent)) grew = tree.Add(pid) || grew;
            }
        }
        Assert.True(tree.Count > Services.Length, $"only {tree.Count} processes found under the AppHost {appHostPid}");
        return [.. tree];
    }

    /// <summary>Alive and not a zombie (an orphan's exit status waits for init, which may be slow to reap it).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
