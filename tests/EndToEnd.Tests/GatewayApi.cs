using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using DomainPlatform.Assignment;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>What the gateway said about one chat completion: where it went and how it ended.</summary>
public sealed record ChatOutcome(string User, int Status, string? Variant, string? ModelVersion, string? RequestId, string Body);

/// <summary>
/// Deployment and inference as a user of the suite sees them: every call goes through the gateway's HTTP API
/// with the admin key; a failed call fails the test with the problem details the gateway answered.
/// </summary>
public sealed class GatewayApi(HttpClient client)
{
    /// <summary>The audit actor of every change made through this API: the gateway names the bootstrap admin key.</summary>
    public const string AdminActor = "key:bootstrap admin (admin)";

    public static string NewDomainId(string agent) => $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-{agent}";

    public static string DemoModelPath => Path.Combine(TestInfrastructure.RepositoryRoot, ".models", "demo.gguf");

    /// <summary>A domain with thresholds small enough for a test to reach, and no response cache (each request must reach a model).</summary>
    public Task<JsonElement> CreateDomainAsync(string id, int minSamples) => SendAsync(HttpMethod.Post, "/api/domains", new
    {
        id,
        name = $"end-to-end {id}",
        rollback = new { minSamples },
        cache = new { enabled = false },
    });

    public Task<JsonElement> RegisterAsync(string domain, string version, string artifactPath, object? serving = null)
    {
        using var file = File.OpenRead(artifactPath);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(file));
        return SendAsync(HttpMethod.Post, $"/api/models/{domain}/versions", new
        {
            version,
            artifactPath,
            artifactSha256 = sha256,
            artifactSizeBytes = new FileInfo(artifactPath).Length,
            metrics = new Dictionary<string, double> { ["accuracy"] = 0.9, ["latency_ms"] = 50, ["training_loss"] = 0.1, ["validation_loss"] = 0.2 },
            serving,
        });
    }

    public Task<JsonElement> DeployStableAsync(string domain, string version) =>
        SendAsync(HttpMethod.Post, $"/api/deployments/{domain}/stable", new { version });

    public Task<JsonElement> RollbackToAsync(string domain, string version, string reason) =>
        SendAsync(HttpMethod.Post, $"/api/deployments/{domain}/rollback", new { version, reason });

    public Task<JsonElement> StartRolloutAsync(string domain, string version, double minStepSeconds, long minSamples) =>
        SendAsync(HttpMethod.Post, "/api/rollouts", new { domain, version, minStepSeconds, minSamples });

    public Task<JsonElement> CommandAsync(string rolloutId, string command, string reason) =>
        SendAsync(HttpMethod.Post, $"/api/rollouts/{rolloutId}/{command}", new { reason });

    public Task<JsonElement> RolloutAsync(string rolloutId) => SendAsync(HttpMethod.Get, $"/api/rollouts/{rolloutId}", null);

    public Task<JsonElement> DeploymentAsync(string domain) => SendAsync(HttpMethod.Get, $"/api/deployments/{domain}", null);

    public async Task<IReadOnlyList<JsonElement>> AuditAsync(string entityType, string entityId) =>
        (await SendAsync(HttpMethod.Get, $"/api/audit?entityType={entityType}&entityId={Uri.EscapeDataString(entityId)}&limit=1000", null))
        .EnumerateArray().ToList();

    /// <summary>The domain's entry in deployment's route table (salt and variants), as the gateway is told it.</summary>
    public async Task<JsonElement> RouteAsync(string domain)
    {
        var table = await SendAsync(HttpMethod.Get, "/api/deployments/route-table", null);
        return table.GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == domain);
    }

    public async Task<ChatOutcome> ChatAsync(string domain, string user, string content = "hello")
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = domain,
            user,
            // Not deterministic (temperature above 0, no seed), so no cache could answer in the model's place.
            temperature = 0.7,
            max_tokens = 4,
            messages = new[] { new { role = "user", content } },
        }, TestContext.Current.CancellationToken);
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.First() : null;
        return new ChatOutcome(user, (int)response.StatusCode, Header("X-Route-Variant"), Header("X-Route-Model-Version"), Header("X-Request-Id"),
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>A client's mistake sent as the user: the gateway's (or inference's) 4xx status, which must count against no variant.</summary>
    public async Task<int> MalformedChatAsync(string domain, string user, string fault)
    {
        var body = fault switch
        {
            // Refused by the gateway before it chooses a variant.
            "max_tokens" => $$"""{"model": "{{domain}}", "user": "{{user}}", "max_tokens": -5, "messages": [{"role": "user", "content": "hello"}]}""",
            "json" => $$"""{"model": "{{domain}}", "user": "{{user}}", "messages": [{"role": "user", """,
            // Routed to the user's variant, which refuses it as the client's fault (only one choice is served).
            "n" => $$"""{"model": "{{domain}}", "user": "{{user}}", "n": 2, "max_tokens": 4, "messages": [{"role": "user", "content": "hello"}]}""",
            _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
        };
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        return (int)response.StatusCode;
    }

    public Task<JsonElement> FeedbackAsync(string requestId, bool thumbsUp) =>
        SendAsync(HttpMethod.Post, "/v1/feedback", new { requestId, thumbsUp });

    /// <summary>
    /// Users the gateway sends to the canary and users it keeps on stable at the route's current split, found with
    /// the same sticky hash (salt from the route table) so that a 1% step needs no hundred requests.
    /// </summary>
    public static (IReadOnlyList<string> Canary, IReadOnlyList<string> Stable) UsersFor(JsonElement route, int each)
    {
        var salt = route.GetProperty("salt").GetString()!;
        double Weight(string name) => route.GetProperty("variants").EnumerateArray()
            .Where(v => v.GetProperty("name").GetString() == name).Select(v => v.GetProperty("weightPercent").GetDouble()).FirstOrDefault();
        var canaryWeight = Weight("canary");
        var stableWeight = Weight("stable");
        var split = new CanarySplit(salt, canaryWeight + stableWeight > 0 ? 100.0 * canaryWeight / (canaryWeight + stableWeight) : 0);
        var canary = new List<string>();
        var stable = new List<string>();
        for (var i = 0; (canary.Count < each || stable.Count < each) && i < 1_000_000; i++)
        {
            var user = $"user-{i}";
            var list = split.IsCanary(user) ? canary : stable;
            if (list.Count < each) list.Add(user);
        }
        return (canaryWeight > 0 ? canary : [], stableWeight > 0 ? stable : []);
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        // A forged actor: the gateway must drop it and audit the key instead (see AdminActor).
        request.Headers.Add("X-Actor", "e2e-tests");
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
