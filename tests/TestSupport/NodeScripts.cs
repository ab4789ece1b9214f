using System.Diagnostics;

namespace DomainPlatform.TestSupport;

/// <summary>Runs Node.js scripts of a test's npm folder (its package.json pins what they use, installed with npm ci once).</summary>
public sealed class NodeScripts(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>Installs the folder's locked packages unless <paramref name="package"/> is already there; fails loudly when npm cannot.</summary>
    public async Task EnsureInstalledAsync(string package, CancellationToken ct)
    {
        if (System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", package))) return;
        var (exitCode, _, stderr) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], ct);
        if (exitCode != 0) throw new InvalidOperationException($"npm ci failed in {Directory} (exit {exitCode}): {stderr}");
    }

    /// <summary>Runs <paramref name="file"/> in the folder; a five-minute hang guard (not a timing assertion) kills it.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
