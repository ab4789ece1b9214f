using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Platform.Tests;

/// <summary>
/// <c>./platform restart</c>: refusals, and a whole restart of one service of a profile whose "dotnet" is a stand-in
/// (a small HTTP server answering /health) found first on the PATH the service was started with.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the launcher is bash on Linux
public sealed class RestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("platform-restart-").FullName;
    private readonly string _profile = $"restart-test-{Guid.NewGuid():N}"[..24];
    private string RunDirectory => Path.Combine(Launcher.Root, ".platform", "run", _profile);

    public void Dispose()
    {
        // Stop whatever stand-in is still recorded, then forget the profile.
        var pids = Path.Combine(RunDirectory, "pids");
        if (File.Exists(pids))
        {
            foreach (var line in File.ReadAllLines(pids))
            {
                var pid = int.Parse(line.Split(' ')[1]);
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            }
        }
        if (Directory.Exists(RunDirectory)) Directory.Delete(RunDirectory, recursive: true);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_missing_or_unknown_service_or_option_is_named()
    {
        var missing = await Launcher.CommandAsync("restart");
        var unknown = await Launcher.CommandAsync("restart", "frobnicator");
        var option = await Launcher.CommandAsync("restart", "deployment", "--gently");
        var two = await Launcher.CommandAsync("restart", "deployment", "gateway");

        Assert.Equal(1, missing.Code);
        Assert.Contains("restart: name a service (gateway deployment experimentation extraction training inference console)", missing.Stderr);
        Assert.Equal(1, unknown.Code);
        Assert.Contains("unknown service 'frobnicator'", unknown.Stderr);
        Assert.Equal(1, option.Code);
        Assert.Contains("unknown option '--gently'", option.Stderr);
        Assert.Equal(1, two.Code);
        Assert.Contains("one service at a time", two.Stderr);
    }

    [Fact]
    public async Task A_profile_that_is_not_running_is_refused_with_how_to_start_it()
    {
        var (code, _, stderr) = await Launcher.CommandAsync("restart", "deployment", "--profile", _profile);

        Assert.Equal(1, code);
        Assert.Contains($"profile '{_profile}' is not running (./platform up --profile {_profile})", stderr);
    }

    [Theory]
    [InlineData(true, "Killing deployment")]
    [InlineData(false, "Stopping deployment")]
    public async Task A_service_comes_back_with_a_new_pid_the_same_environment_and_a_healthy_endpoint(bool kill, string said)
    {
        var portBase = FreePorts.Block();
        var firstPid = await StartStandInAsync(portBase);

        var (code, stdout, stderr) = kill
            ? await Launcher.CommandAsync("restart", "deployment", "--kill", "--profile", _profile, "--timeout", "60")
            : await Launcher.CommandAsync("restart", "deployment", "--profile", _profile, "--timeout", "60");

        Assert.True(code == 0, stderr);
        Assert.Contains(said, stdout);
        Assert.Contains("deployment       healthy", stdout);
        var recorded = (await File.ReadAllTextAsync(Path.Combine(RunDirectory, "pids"), TestContext.Current.CancellationToken)).Trim().Split(' ');
        var newPid = int.Parse(recorded[1]);
        Assert.Equal(["deployment", (portBase + 1).ToString(), (portBase + 11).ToString()], new[] { recorded[0], recorded[2], recorded[3] });
        Assert.NotEqual(firstPid, newPid);
        Assert.False(IsRunning(firstPid), $"the first process {firstPid} is still running");

        var environment = (await File.ReadAllTextAsync($"/proc/{newPid}/environ", TestContext.Current.CancellationToken)).Split('\0');
        Assert.Contains("RESTART_TEST_MARKER=kept across restarts", environment);
        Assert.Contains($"Kestrel__Endpoints__http__Url=http://127.0.0.1:{portBase + 1}", environment);
        Assert.Contains($"PATH={_directory}:/usr/bin:/bin", environment);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{portBase + 1}/health", TestContext.Current.CancellationToken)).StatusCode);
        var log = await File.ReadAllTextAsync(Path.Combine(RunDirectory, "logs", "deployment.log"), TestContext.Current.CancellationToken);
        Assert.Contains(kill ? "after SIGKILL" : "after a graceful stop", log);
    }

    /// <summary>Starts the profile's deployment as up would (saved environment, own process group, pids file), with a stand-in for dotnet.</summary>
    private async Task<int> StartStandInAsync(int portBase)
    {
        var dotnet = Path.Combine(_directory, "dotnet");
        await File.WriteAllTextAsync(dotnet, """
            #!/bin/sh
            # Stands in for `dotnet <dll>`: answers 200 to everything on the port of Kestrel__Endpoints__http__Url.
            port=${Kestrel__Endpoints__http__Url##*:}
            exec /usr/bin/python3 -c '
            import http.server, sys
            class Ok(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
                def log_message(self, *args):
                    pass
            http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
            ' "$port" "$@"
            """.Replace("\r", ""), TestContext.Current.CancellationToken);
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var fakeDll = Path.Combine(_directory, "Deployment.dll");

        var output = await Launcher.SourcedAsync($$"""
            infra_config
            profile_config '{{_profile}}' '{{portBase}}'
            mkdir -p "$RUN_DIR/logs"
            printf 'port_base=%s\n' "$PORT_BASE" >"$RUN_DIR/ports"
            for line in "${PLATFORM_SERVICES[@]}"; do
              service_fields "$line"
              [[ $NAME == deployment ]] && break
            done
            DLL='{{fakeDll}}'
            service_env
            save_service_env "$RUN_DIR/env/$NAME.env"
            pid=$(launch_service "$RUN_DIR/env/$NAME.env" "$RUN_DIR/logs/$NAME.log")
            printf '%s %s %s %s %s\n' "$NAME" "$pid" "$HTTP_PORT" "$GRPC_PORT" "$DLL" >"$RUN_DIR/pids"
            wait_healthy 60 deployment >/dev/null
            printf '%s' "$pid"
            """, new Dictionary<string, string>
        {
            ["PATH"] = $"{_directory}:/usr/bin:/bin",
            ["RESTART_TEST_MARKER"] = "kept across restarts",
        });
        return int.Parse(output.Trim());
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
