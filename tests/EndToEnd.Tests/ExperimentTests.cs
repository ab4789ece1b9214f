using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using DomainPlatform.Assignment;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// An A/B/C experiment through the gateway only: three registered GGUF versions become the arms, chat completions are
/// split by the experiment's weights and stay sticky per user, feedback makes one arm clearly better, and the
/// documented decision names it (and deploys it) only once the data is there.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ExperimentTests(PlatformFixture platform) : IDisposable
{
    private const int Users = 180;
    private const long MinSamples = 30;
    private static readonly (string Name, string Version, double Weight, double Score)[] Arms =
    [
        ("control", "1.0.0", 40, 0.40), ("b", "1.1.0", 30, 0.80), ("c", "1.2.0", 30, 0.45),
    ];

    private readonly string _models = Directory.CreateTempSubdirectory("e2e-experiment-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task An_ABC_experiment_through_the_gateway_splits_sticks_and_concludes_with_the_better_arm()
    {
        using var client = platform.CreateClient();
        var domain = $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-ExperimentAgent";
        await PostOkAsync(client, "/api/domains", new { id = domain, name = "Experiment agent", keywords = new[] { "experiment" } });

        // Three versions: the demo model and two generated here with other seeds (different weights, different sha256).
        var artifacts = new[]
        {
            Path.Combine(TestInfrastructure.RepositoryRoot, ".models", "demo.gguf"),
            await GenerateModelAsync("b.gguf", seed: 2),
            await GenerateModelAsync("c.gguf", seed: 3),
        };
        foreach (var (arm, artifact) in Arms.Zip(artifacts))
        {
            await PostOkAsync(client, $"/api/models/{domain}/versions", new
            {
                version = arm.Version, artifactPath = artifact, artifactSha256 = Sha256(artifact), artifactSizeBytes = new FileInfo(artifact).Length,
                metrics = new Dictionary<string, double> { ["accuracy"] = 0.9, ["latency_ms"] = 100, ["training_loss"] = 0.2, ["validation_loss"] = 0.25 },
            });
        }
        await PostOkAsync(client, $"/api/deployments/{domain}/stable", new { version = "1.0.0" });
        await Eventually.GetAsync(() => ChatAsync(client, domain, "probe"), r => r.Status == HttpStatusCode.OK && r.Variant == "stable", "the domain served by its stable version");

        var created = await PostOkAsync(client, "/api/experiments", new
        {
            name = "three arms", domain,
            variants = Arms.Select(a => new { name = a.Name, modelVersion = a.Version, weight = a.Weight }),
            primaryMetric = "feedback_score", minimumDetectableEffect = 0.5, alpha = 0.05, power = 0.8, minSamples = MinSamples,
            minDurationSeconds = 0, analysisMethod = "frequentist", correction = "holm", deployWinner = true, stopOnGuardrail = false,
        });
        var experiment = created.GetProperty("id").GetGuid();
        await PostOkAsync(client, $"/api/experiments/{experiment}/start", null);

        // Deployment loads the arms and publishes the route; the gateway splits by the experiment's salt from then on.
        var arms = Arms.Select(a => a.Name).ToHashSet();
        await Eventually.GetAsync(() => ChatAsync(client, domain, "probe"), r => r.Status == HttpStatusCode.OK && arms.Contains(r.Variant!),
            "the experiment's split in the gateway", TimeSpan.FromSeconds(120));
        var split = new TrafficSplit($"experiment-{experiment}", Arms.Select(a => new VariantWeight(a.Name, a.Weight)));

        // Nothing to decide yet: no feedback, so the analysis keeps collecting and conclude is refused.
        var early = await GetJsonAsync(client, $"/api/experiments/{experiment}/analysis");
        Assert.Equal("continue", early.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, early.GetProperty("winner").ValueKind);
        Assert.Contains("Collecting data", early.GetProperty("reason").GetString());
        var refused = await client.PostAsJsonAsync($"/api/experiments/{experiment}/conclude", new { }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("no winner", await refused.Content.ReadAsStringAsync(Ct));

        var served = new List<(string User, Chat Response)>();
        for (var i = 0; i < Users; i++)
        {
            var user = $"user-{i}";
            var response = await ChatAsync(client, domain, user);
            Assert.True(response.Status == HttpStatusCode.OK, $"{user}: {(int)response.Status}");
            served.Add((user, response));
        }

        // Every user lands where the shared Assignment library puts them, so the split follows the weights.
        Assert.All(served, s => Assert.Equal(split.Assign(s.User), s.Response.Variant));
        Assert.All(served, s => Assert.Equal(Arms.Single(a => a.Name == s.Response.Variant).Version, s.Response.ModelVersion));
        foreach (var arm in Arms)
        {
            var share = served.Count(s => s.Response.Variant == arm.Name) / (double)Users;
            Assert.InRange(share, arm.Weight / 100 - 0.15, arm.Weight / 100 + 0.15);
        }
        // Sticky: the same user gets the same variant again.
        foreach (var (user, first) in served.Take(30))
        {
            Assert.Equal(first.Variant, (await ChatAsync(client, domain, user)).Variant);
        }

        // Feedback: b is clearly better than control and c (scores with a little spread so variances are not zero).
        var sent = 0;
        foreach (var ((user, response), index) in served.Select((s, i) => (s, i)))
        {
            var score = Arms.Single(a => a.Name == response.Variant).Score + (index % 7 - 3) / 100.0;
            using var feedback = await client.PostAsJsonAsync("/v1/feedback", new { requestId = response.RequestId, score }, Ct);
            Assert.True(feedback.StatusCode == HttpStatusCode.Accepted, $"feedback for {user}: {(int)feedback.StatusCode} {await feedback.Content.ReadAsStringAsync(Ct)}");
            sent++;
        }

        // Wait until every feedback is counted, then the decision must name b with the experiment's confidence.
        var analysis = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/experiments/{experiment}/analysis"),
            a => a.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("samples").GetInt64()) >= sent, "all feedback counted", TimeSpan.FromSeconds(120));
        TestContext.Current.TestOutputHelper?.WriteLine($"decision: {analysis.GetProperty("outcome")} {analysis.GetProperty("winner")}: {analysis.GetProperty("reason")}");
        Assert.True(analysis.GetProperty("outcome").GetString() == "winner", analysis.GetProperty("reason").GetString());
        Assert.Equal("b", analysis.GetProperty("winner").GetString());
        Assert.Equal("1.1.0", analysis.GetProperty("winnerModelVersion").GetString());
        Assert.Contains("'b' beats control", analysis.GetProperty("reason").GetString());
        Assert.Contains("< 0.05", analysis.GetProperty("reason").GetString());
        Assert.False(analysis.GetProperty("sampleRatio").GetProperty("isMismatch").GetBoolean());

        var concluded = await PostOkAsync(client, $"/api/experiments/{experiment}/conclude", new { });
        Assert.Equal(("winner", "b"), (concluded.GetProperty("outcome").GetString(), concluded.GetProperty("winner").GetString()));
        var recorded = await GetJsonAsync(client, $"/api/experiments/{experiment}");
        Assert.Equal(("concluded", "winner", "b"),
            (recorded.GetProperty("status").GetString(), recorded.GetProperty("outcome").GetString(), recorded.GetProperty("winnerVariant").GetString()));
        Assert.Contains("'b' beats control", recorded.GetProperty("reason").GetString());

        // deployWinner: deployment makes 1.1.0 stable and the domain leaves the experiment's split.
        var audit = await Eventually.GetAsync(() => GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={experiment}&action=deploy-winner"),
            a => a.GetArrayLength() == 1, "the winner's deployment");
        Assert.Contains("'b' beats control", audit[0].GetProperty("after").GetProperty("reason").GetString());
        await Eventually.GetAsync(() => ChatAsync(client, domain, "user-0"), r => r.Variant == "stable" && r.ModelVersion == "1.1.0",
            "the winner serving everyone as stable");
    }

    [Fact]
    public async Task An_emergency_rollback_sends_every_user_to_the_control_at_once()
    {
        using var client = platform.CreateClient();
        var domain = $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-RollbackAgent";
        await PostOkAsync(client, "/api/domains", new { id = domain, name = "Rollback agent", keywords = new[] { "rollback" } });
        var versions = new[] { ("1.0.0", Path.Combine(TestInfrastructure.RepositoryRoot, ".models", "demo.gguf")), ("1.1.0", await GenerateModelAsync("treatment.gguf", seed: 4)) };
        foreach (var (version, artifact) in versions)
        {
            await PostOkAsync(client, $"/api/models/{domain}/versions", new
            {
                version, artifactPath = artifact, artifactSha256 = Sha256(artifact), artifactSizeBytes = new FileInfo(artifact).Length,
                metrics = new Dictionary<string, double> { ["accuracy"] = 0.9, ["latency_ms"] = 100, ["training_loss"] = 0.2, ["validation_loss"] = 0.25 },
            });
        }
        await PostOkAsync(client, $"/api/deployments/{domain}/stable", new { version = "1.0.0" });

        var experiment = (await PostOkAsync(client, "/api/experiments", new
        {
            name = "risky treatment", domain, primaryMetric = "feedback_score",
            variants = new[] { new { name = "control", modelVersion = "1.0.0", weight = 50.0 }, new { name = "treatment", modelVersion = "1.1.0", weight = 50.0 } },
        })).GetProperty("id").GetGuid();
        await PostOkAsync(client, $"/api/experiments/{experiment}/start", null);
        var users = Enumerable.Range(0, 12).Select(i => $"rollback-user-{i}").ToArray();
        var split = new TrafficSplit($"experiment-{experiment}", [new VariantWeight("control", 50), new VariantWeight("treatment", 50)]);
        var treated = users.First(u => split.Assign(u) == "treatment");
        await Eventually.GetAsync(() => ChatAsync(client, domain, treated), r => r.Variant == "treatment", "the treatment serving its users", TimeSpan.FromSeconds(120));

        var rolledBack = await PostOkAsync(client, $"/api/experiments/{experiment}/rollback", new { reason = "treatment answers badly" });
        Assert.Equal(("rolled_back", "rolled-back"), (rolledBack.GetProperty("status").GetString(), rolledBack.GetProperty("outcome").GetString()));
        Assert.Equal([100.0, 0.0], rolledBack.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("weight").GetDouble()));

        // Once the pin reaches the gateway every user, the treated ones included, is on the control's version.
        await Eventually.GetAsync(() => ChatAsync(client, domain, treated), r => r.Variant == "control", "the rollback in the gateway");
        foreach (var user in users)
        {
            var response = await ChatAsync(client, domain, user);
            Assert.Equal((HttpStatusCode.OK, "control", "1.0.0"), (response.Status, response.Variant, response.ModelVersion));
        }
        var audit = await GetJsonAsync(client, $"/api/audit?entityType=experiment&entityId={experiment}&action=traffic");
        Assert.Equal(2, audit.GetArrayLength());
    }

    private sealed record Chat(HttpStatusCode Status, string? Variant, string? ModelVersion, string? RequestId);

    private static async Task<Chat> ChatAsync(HttpClient client, string domain, string user)
    {
        // Temperature above 0: not cacheable, so every request reaches its arm's model.
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = domain, user, max_tokens = 2, temperature = 0.7,
            messages = new[] { new { role = "user", content = "hello" } },
        }, Ct);
        static string? Header(HttpResponseMessage r, string name) => r.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
        return new Chat(response.StatusCode, Header(response, "X-Route-Variant"), Header(response, "X-Route-Model-Version"), Header(response, "X-Request-Id"));
    }

    /// <summary>Posts <paramref name="body"/> as JSON, or nothing when it is null (actions such as start take no body).</summary>
    private static async Task<JsonElement> PostOkAsync(HttpClient client, string path, object? body)
    {
        var response = body is null ? await client.PostAsync(path, null, Ct) : await client.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A tiny llama GGUF from the ModelGen tool the suite's build produced (same shape as the demo model, other weights).</summary>
    private async Task<string> GenerateModelAsync(string name, ulong seed)
    {
        var tool = Path.Combine(TestInfrastructure.RepositoryRoot, "tools", "ModelGen", "bin", "Release", "net10.0", "modelgen.dll");
        Assert.True(File.Exists(tool), $"ModelGen is not built at {tool}");
        var output = Path.Combine(_models, name);
        var start = new ProcessStartInfo("dotnet", ["exec", tool, "generate", "--out", output, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"modelgen failed: {await stdout}{await stderr}");
        return output;
    }
}
