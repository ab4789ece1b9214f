using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.AppHost.Control;

/// <summary>
/// What <c>./platform</c> needs from a running AppHost that the dashboard offers only to a browser: every
/// resource's console log in a file (<c>AppHost:LogDirectory</c>), and a small HTTP endpoint on a Unix socket
/// (<c>AppHost:ControlSocket</c>, mode 0600, so only this user reaches it) that lists the resources and restarts
/// one, gracefully (the resource's own restart command) or with SIGKILL as a crash would.
/// </summary>
public sealed partial class PlatformControl(
    IConfiguration configuration,
    ResourceNotificationService notifications,
    ResourceLoggerService logs,
    ResourceCommandService commands,
    DistributedApplicationModel model,
    ILogger<PlatformControl> logger) : BackgroundService
{
    private WebApplication? _endpoint;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var logDirectory = configuration["AppHost:LogDirectory"];
        var socket = configuration["AppHost:ControlSocket"];
        var writers = new List<Task>();
        if (!string.IsNullOrEmpty(socket)) await StartEndpointAsync(socket, stoppingToken);
        if (string.IsNullOrEmpty(logDirectory)) return;

        Directory.CreateDirectory(logDirectory);
        var watched = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var resource in notifications.WatchAsync(stoppingToken))
            {
                if (resource.Snapshot.IsHidden || resource.Snapshot.ResourceType == "Parameter") continue;
                if (watched.Add(resource.ResourceId))
                {
                    writers.Add(WriteLogAsync(resource.ResourceId, Path.Combine(logDirectory, resource.Resource.Name + ".log"), stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(writers);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is not null) await _endpoint.StopAsync(cancellationToken);
        await base.StopAsync(cancellationToken);
    }

    // One file per resource, appended to across restarts of the resource (and of the AppHost, which starts it with a marker).
    private async Task WriteLogAsync(string resourceId, string file, CancellationToken ct)
    {
        try
        {
            await using var writer = new StreamWriter(file, append: true, Encoding.UTF8) { AutoFlush = true };
            await writer.WriteLineAsync($"==== {resourceId} log opened by the AppHost {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} ====");
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(ct))
            {
                foreach (var line in batch) await writer.WriteLineAsync(Colours().Replace(line.Content, ""));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException e)
        {
            LogWriteFailed(file, e.Message);
        }
    }

    private async Task StartEndpointAsync(string socket, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(socket))!);
        File.Delete(socket); // a stale socket of an AppHost that was killed
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socket));
        var app = builder.Build();
        app.MapGet("/resources", () => Results.Text(ListResources(), "text/plain"));
        app.MapPost("/resources/{name}/restart", RestartAsync);
        await app.StartAsync(ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _endpoint = app;
    }

    /// <summary>One line per resource: name, type, state, health, pid, URLs (comma-separated), tab-separated; "-" for none.</summary>
    private string ListResources()
    {
        var text = new StringBuilder();
        // Hidden resources (each project's "rebuilder") are the dashboard's plumbing, never started here.
        foreach (var resource in CurrentSnapshots().Where(r => !r.Snapshot.IsHidden).OrderBy(r => r.Resource.Name, StringComparer.Ordinal))
        {
            var snapshot = resource.Snapshot;
            var urls = string.Join(',', snapshot.Urls.Where(u => !u.IsInternal).Select(u => u.Url));
            text.Append(CultureInfo.InvariantCulture, $"{resource.Resource.Name}\t{snapshot.ResourceType}\t{Or(snapshot.State?.Text)}\t")
                .Append(CultureInfo.InvariantCulture, $"{Or(snapshot.HealthStatus?.ToString())}\t{Or(Pid(snapshot)?.ToString(CultureInfo.InvariantCulture))}\t{Or(urls)}\n");
        }
        return text.ToString();

        static string Or(string? value) => string.IsNullOrEmpty(value) ? "-" : value;
    }

    private IEnumerable<ResourceEvent> CurrentSnapshots()
    {
        foreach (var resource in model.Resources)
        {
            if (notifications.TryGetCurrentState(resource.Name, out var e)) yield return e;
        }
    }

    private async Task<IResult> RestartAsync(string name, bool? kill, int? timeout, CancellationToken ct)
    {
        if (timeout is < 1 or > 3600) return Results.Text("timeout must be 1-3600 seconds\n", statusCode: StatusCodes.Status400BadRequest);
        if (!notifications.TryGetCurrentState(name, out var current))
        {
            var known = string.Join(' ', CurrentSnapshots().Select(r => r.Resource.Name));
            return Results.Text($"unknown resource '{name}' (resources: {known})\n", statusCode: StatusCodes.Status404NotFound);
        }
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromSeconds(timeout ?? 180));
        var oldPid = Pid(current.Snapshot);
        var said = new StringBuilder();
        try
        {
            if (kill == true)
            {
                if (oldPid is not { } pid) return Results.Text($"{name} has no process to kill (state {current.Snapshot.State?.Text})\n", statusCode: StatusCodes.Status409Conflict);
                said.Append(CultureInfo.InvariantCulture, $"Killed {name} (pid {pid} and its children, SIGKILL)\n");
                using (var process = Process.GetProcessById(pid)) process.Kill(entireProcessTree: true);
                // The orchestrator sees the exit, as it would a crash; then the resource is started again.
                await notifications.WaitForResourceAsync(name, e => Pid(e.Snapshot) != pid || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), guard.Token);
                await ExecuteAsync(name, KnownResourceCommands.StartCommand, guard.Token);
            }
            else
            {
                said.Append(CultureInfo.InvariantCulture, $"Restarted {name} (stopped gracefully, started again)\n");
                await ExecuteAsync(name, KnownResourceCommands.RestartCommand, guard.Token);
            }
            var back = await notifications.WaitForResourceAsync(name, e =>
                Pid(e.Snapshot) is { } p && p != oldPid && e.Snapshot.HealthStatus == HealthStatus.Healthy
                || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text) && Pid(e.Snapshot) != oldPid, guard.Token);
            if (back.Snapshot.HealthStatus != HealthStatus.Healthy)
            {
                return Results.Text($"{said}{name} did not come back: {back.Snapshot.State?.Text}\n", statusCode: StatusCodes.Status502BadGateway);
            }
            return Results.Text($"{said}{name} healthy (pid {Pid(back.Snapshot)})\n");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Results.Text($"{said}{name} is not healthy after {timeout ?? 180}s\n", statusCode: StatusCodes.Status504GatewayTimeout);
        }
        catch (InvalidOperationException e)
        {
            return Results.Text($"{said}{e.Message}\n", statusCode: StatusCodes.Status502BadGateway);
        }
        catch (ArgumentException)
        {
            // Process.GetProcessById: it exited on its own meanwhile.
            return Results.Text($"{name} (pid {oldPid}) is no longer running; try again\n", statusCode: StatusCodes.Status409Conflict);
        }
    }

    private async Task ExecuteAsync(string name, string command, CancellationToken ct)
    {
        var result = await commands.ExecuteCommandAsync(name, command, ct);
        if (!result.Success) throw new InvalidOperationException($"{command} on {name} failed: {result.Message}");
    }

    private static int? Pid(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int pid => pid,
            long pid => (int)pid,
            string text when int.TryParse(text, CultureInfo.InvariantCulture, out var pid) => pid,
            _ => null,
        };

    // The console logger colours its output for the orchestrator's terminal; a file wants none of it.
    [GeneratedRegex(@"\x1B\[[0-9;]*m")]
    private static partial Regex Colours();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the resource log {File}: {Reason}")]
    private partial void LogWriteFailed(string file, string reason);
}
