using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.AppHost.Tests;

/// <summary>
/// The whole platform under the AppHost: its own Postgres, Redis and RabbitMQ (free ports, data in a
/// temporary folder, so it never meets `./platform test`'s servers), every service and the dashboard.
/// </summary>
public sealed class AppHostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_chat_completion_through_the_gateway_is_one_trace_across_gateway_and_inference_in_the_dashboard()
    {
        // A hang guard, not a performance bound: a resource that never becomes healthy fails the test instead of hanging it.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromMinutes(6));
        var ct = guard.Token;
        var data = Directory.CreateTempSubdirectory("apphost-test-");
        // Postgres runs as the postgres user, who must reach its data folder inside this one.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var dashboardApiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        try
        {
            var clock = Stopwatch.StartNew();
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                [
                    $"--Infrastructure:DataDirectory={data.FullName}",
                    // The dashboard's own ports: free ones, like everything else here.
                    $"--ASPNETCORE_URLS=http://127.0.0.1:{FreePorts.Block(1)}",
                    $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Block(1)}",
                    "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
                    $"--AppHost:DashboardApiKey={dashboardApiKey}",
                ],
                // The testing builder leaves the dashboard out unless asked: the trace is read from it.
                (options, _) => options.DisableDashboard = false,
                ct);
            builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));

            await using var app = await builder.BuildAsync(ct);
            await app.StartAsync(ct);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var service in new[] { "deployment", "experimentation", "extraction", "training", "inference", "gateway", "console" })
            {
                var resource = await notifications.WaitForResourceAsync(service, e =>
                    e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct);
                if (resource.Snapshot.HealthStatus != HealthStatus.Healthy)
                {
                    Assert.Fail($"{service} is {resource.Snapshot.State?.Text} (exit code {resource.Snapshot.ExitCode}) instead of healthy; " +
                        $"resources: {Describe(app)}\nits console log ends:\n{await LogTailAsync(app, service)}");
                }
            }
            output.WriteLine($"AppHost booted, every service healthy, in {clock.Elapsed.TotalSeconds:F1}s");

            var adminKey = (await File.ReadAllTextAsync(Path.Combine(data.FullName, "admin-key"), ct)).Trim();
            using var gateway = app.CreateHttpClient("gateway", "http");
            gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);

            // The console, served by the gateway at /console under the AppHost too (its path base, its assets).
            using (var signIn = await gateway.GetAsync("/console/signin", ct))
            {
                var page = await signIn.Content.ReadAsStringAsync(ct);
                Assert.True(signIn.IsSuccessStatusCode, $"GET /console/signin: {(int)signIn.StatusCode} {page}");
                Assert.Contains("<base href=\"/console/\"", page);
                Assert.Contains("Sign in with an API key", page);
            }

            // The demo model as the stable version of a domain, so that the gateway routes a chat to it.
            const string domain = "apphost";
            await SendAsync(gateway, "/api/domains", new { id = domain, name = "AppHost test", cache = new { enabled = false } }, ct);
            await RegisterDemoModelAsync(gateway, domain, "1.0.0", ct);
            await SendAsync(gateway, $"/api/deployments/{domain}/stable", new { version = "1.0.0" }, ct);

            // Our own trace id, so the dashboard's trace can be asked for by id.
            var traceId = ActivityTraceId.CreateRandom().ToHexString();
            var (status, body, variant) = await Eventually.GetAsync(() => ChatAsync(gateway, domain, traceId, ct),
                reply => reply.Status == 200, "a chat completion through the gateway once the route table has the domain", TimeSpan.FromSeconds(90));
            Assert.Equal(200, status);
            Assert.Contains("choices", body);
            Assert.NotNull(variant);

            // The dashboard receives OTLP from every project; its telemetry API answers with the API key.
            using var dashboard = app.CreateHttpClient("aspire-dashboard", "http");
            dashboard.DefaultRequestHeaders.Add("X-API-Key", dashboardApiKey);
            // Both services' spans name the route the gateway chose (the gateway passes it on as baggage).
            string[] route = [$"platform.domain={domain}", $"platform.variant={variant}", "platform.model_version=1.0.0"];
            var services = await Eventually.GetAsync(() => TraceServicesAsync(dashboard, traceId, ct),
                found => new[] { "gateway", "inference" }.All(s => found.TryGetValue(s, out var a) && route.All(a.Contains)),
                $"trace {traceId} with spans from gateway and inference naming {string.Join(", ", route)} in the dashboard",
                TimeSpan.FromSeconds(60));
            Assert.Contains("gateway", services.Keys);
            Assert.Contains("inference", services.Keys);
            output.WriteLine($"Trace {traceId}: {string.Join("; ", services.Select(s => $"{s.Key} [{string.Join(", ", s.Value.Order())}]"))}; " +
                $"{clock.Elapsed.TotalSeconds:F1}s in all");

            // A rollout's analysed step is a trace from deployment into experimentation's Analyze (the controller polls every 15 s).
            await RegisterDemoModelAsync(gateway, domain, "1.0.1", ct);
            using var started = await gateway.PostAsJsonAsync("/api/rollouts", new { domain, version = "1.0.1", minStepSeconds = 0 }, ct);
            Assert.True(started.IsSuccessStatusCode, $"POST /api/rollouts: {(int)started.StatusCode} {await started.Content.ReadAsStringAsync(ct)}");
            var rolloutId = (await started.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
            var stepTrace = await Eventually.GetAsync(() => RolloutStepTraceAsync(dashboard, rolloutId, ct), id => id is not null,
                $"a 'rollout step' span of rollout {rolloutId} in the dashboard", TimeSpan.FromSeconds(90));
            var stepServices = await Eventually.GetAsync(() => TraceServicesAsync(dashboard, stepTrace!, ct),
                found => found.ContainsKey("deployment") && found.ContainsKey("experimentation"), $"trace {stepTrace} with spans from deployment and experimentation",
                TimeSpan.FromSeconds(60));
            output.WriteLine($"Rollout step trace {stepTrace}: {string.Join(", ", stepServices.Keys.Order())}");

            // The deployment resource's commands drive the running rollouts, recorded with the dashboard as the actor.
            var commands = app.Services.GetRequiredService<ResourceCommandService>();
            var paused = await commands.ExecuteCommandAsync("deployment", "pause-rollouts", ct);
            Assert.True(paused.Success, paused.Message);
            var rollout = await gateway.GetFromJsonAsync<JsonElement>($"/api/rollouts/{rolloutId}", ct);
            Assert.Equal("paused", rollout.GetProperty("status").GetString());
            var aborted = await commands.ExecuteCommandAsync("deployment", "abort-rollouts", ct);
            Assert.True(aborted.Success, aborted.Message);
            rollout = await gateway.GetFromJsonAsync<JsonElement>($"/api/rollouts/{rolloutId}", ct);
            Assert.Equal("aborted", rollout.GetProperty("status").GetString());
            var audit = await gateway.GetStringAsync($"/api/audit?actor=aspire-dashboard&entityId={rolloutId}", ct);
            Assert.Contains("\"pause\"", audit);
            Assert.Contains("\"abort\"", audit);

            await app.StopAsync(ct);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static string Describe(DistributedApplication app)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        return string.Join(", ", model.Resources.Select(r => notifications.TryGetCurrentState(r.Name, out var e)
            ? $"{r.Name} {e.Snapshot.State?.Text} {e.Snapshot.HealthStatus}" : $"{r.Name} ?"));
    }

    /// <summary>The last lines of a resource's console log that the AppHost still holds.</summary>
    private static async Task<string> LogTailAsync(DistributedApplication app, string resource)
    {
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

    private static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "DomainPlatform.sln"))) return directory.FullName;
            }
            throw new InvalidOperationException("No DomainPlatform.sln above " + AppContext.BaseDirectory);
        }
    }

    private static async Task RegisterDemoModelAsync(HttpClient gateway, string domain, string version, CancellationToken ct)
    {
        var demoModel = Path.Combine(RepositoryRoot, ".models", "demo.gguf");
        await using var file = File.OpenRead(demoModel);
        await SendAsync(gateway, $"/api/models/{domain}/versions", new
        {
            version,
            artifactPath = demoModel,
            artifactSha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct)),
            artifactSizeBytes = new FileInfo(demoModel).Length,
            metrics = new Dictionary<string, double> { ["accuracy"] = 0.9, ["latency_ms"] = 50, ["training_loss"] = 0.1, ["validation_loss"] = 0.2 },
        }, ct);
    }

    /// <summary>The trace id of a "rollout step" span of the rollout in the dashboard's recent deployment traces; null until one is there.</summary>
    private static async Task<string?> RolloutStepTraceAsync(HttpClient dashboard, string rolloutId, CancellationToken ct)
    {
        using var response = await dashboard.GetAsync("/api/telemetry/traces?resource=deployment&limit=200", ct);
        if (!response.IsSuccessStatusCode) return null;
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        if (!document.RootElement.TryGetProperty("data", out var data) || !data.TryGetProperty("resourceSpans", out var resourceSpans)) return null;
        foreach (var span in resourceSpans.EnumerateArray().SelectMany(r => r.GetProperty("scopeSpans").EnumerateArray()).SelectMany(s => s.GetProperty("spans").EnumerateArray()))
        {
            if (span.GetProperty("name").GetString() != "rollout step" || !span.TryGetProperty("attributes", out var attributes)) continue;
            if (attributes.EnumerateArray().Any(a => a.GetProperty("key").GetString() == "rollout.id" &&
                a.GetProperty("value").TryGetProperty("stringValue", out var value) && value.GetString() == rolloutId))
            {
                return span.GetProperty("traceId").GetString();
            }
        }
        return null;
    }

    private static async Task SendAsync(HttpClient client, string path, object body, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync(path, body, ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static async Task<(int Status, string Body, string? Variant)> ChatAsync(HttpClient gateway, string domain, string traceId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = domain,
                user = "apphost-test",
                max_tokens = 4,
                messages = new[] { new { role = "user", content = "hello" } },
            }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await gateway.SendAsync(request, ct);
        var variant = response.Headers.TryGetValues("X-Route-Variant", out var values) ? values.First() : null;
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct), variant);
    }

    /// <summary>
    /// Per service.name with spans in the trace (OTLP JSON, data.resourceSpans), the platform.* route attributes
    /// of its spans as "key=value"; empty while the dashboard has none of the trace.
    /// </summary>
    private static async Task<Dictionary<string, HashSet<string>>> TraceServicesAsync(HttpClient dashboard, string traceId, CancellationToken ct)
    {
        using var response = await dashboard.GetAsync($"/api/telemetry/traces/{traceId}", ct);
        var found = new Dictionary<string, HashSet<string>>();
        if (!response.IsSuccessStatusCode) return found;
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        if (!document.RootElement.TryGetProperty("data", out var data) || !data.TryGetProperty("resourceSpans", out var resourceSpans)) return found;
        foreach (var resource in resourceSpans.EnumerateArray())
        {
            var service = Attributes(resource.GetProperty("resource")).GetValueOrDefault("service.name") ?? "?";
            var attributes = found.TryGetValue(service, out var existing) ? existing : found[service] = [];
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    foreach (var (key, value) in Attributes(span).Where(a => a.Key.StartsWith("platform.", StringComparison.Ordinal)))
                    {
                        attributes.Add($"{key}={value}");
                    }
                }
            }
        }
        return found;

        static Dictionary<string, string?> Attributes(JsonElement element) =>
            element.TryGetProperty("attributes", out var list)
                ? list.EnumerateArray()
                    .Where(a => a.GetProperty("value").TryGetProperty("stringValue", out _))
                    .GroupBy(a => a.GetProperty("key").GetString()!)
                    .ToDictionary(g => g.Key, g => g.First().GetProperty("value").GetProperty("stringValue").GetString())
                : [];
    }
}
