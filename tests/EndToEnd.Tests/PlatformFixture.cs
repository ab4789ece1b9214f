using System.Diagnostics;
using System.Net.Http.Headers;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// Starts the whole suite with <c>./platform up -d --processes</c> under a profile of its own (own ports, databases
/// and RabbitMQ vhost, so it can run beside a developer's <c>up</c>) and stops it afterwards.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public string Profile { get; } = "e2e-" + Guid.NewGuid().ToString("N")[..6];
    public int PortBase { get; private set; }
    public Uri Gateway => new($"http://127.0.0.1:{PortBase}/");
    public string? AdminKey { get; private set; }

    public HttpClient CreateClient()
    {
        var client = new HttpClient(new RetryAfterHandler()) { BaseAddress = Gateway, Timeout = TimeSpan.FromSeconds(100) };
        if (AdminKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public async ValueTask InitializeAsync()
    {
        PortBase = FreePorts.Block();
        // ./platform test builds everything first; a bare `dotnet test` of this project builds with PLATFORM_E2E_BUILD=1.
        var build = Environment.GetEnvironmentVariable("PLATFORM_E2E_BUILD") == "1" ? "" : " --no-build";
        // --processes: the suite as plain processes (the launcher before the AppHost) until these tests move to Aspire.Hosting.Testing.
        var (code, output) = await RunPlatformAsync($"up -d --processes --profile {Profile} --port-base {PortBase}{build}", TimeSpan.FromMinutes(8));
        if (code != 0)
        {
            await RunPlatformAsync($"down --profile {Profile} --purge", TimeSpan.FromMinutes(2));
            throw new InvalidOperationException($"./platform up failed ({code}):\n{output}");
        }

        var keyFile = Path.Combine(TestInfrastructure.RepositoryRoot, ".platform", "run", Profile, "admin-key");
        if (File.Exists(keyFile)) AdminKey = (await File.ReadAllTextAsync(keyFile)).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        // --purge: the profile's databases, vhost and Redis database go with it, so runs leave nothing behind.
        var (code, output) = await RunPlatformAsync($"down --profile {Profile} --purge", TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"./platform down failed ({code}):\n{output}");
    }

    /// <summary>
    /// Settings the services start with (./platform passes its environment on): rollouts analysed every second, and a
    /// lease short enough that one held by a killed deployment process lapses quickly.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ServiceSettings = new Dictionary<string, string>
    {
        ["Deployment__RolloutPollInterval"] = "00:00:01",
        ["Deployment__RolloutLease"] = "00:00:05",
    };

    public static async Task<(int Code, string Output)> RunPlatformAsync(string arguments, TimeSpan timeout)
    {
        var root = TestInfrastructure.RepositoryRoot;
        var start = new ProcessStartInfo(Path.Combine(root, "platform"), arguments)
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in ServiceSettings) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
