using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Steps the tests take through the HTTP API, as a user would.</summary>
public static class TestApi
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string NewDomainId() => $"0x{Random.Shared.Next(0x1000, 0xFFFF):x4}-{Guid.NewGuid():N}"[..24];

    public static async Task<string> CreateDomainAsync(HttpClient client, object? extra = null)
    {
        var id = NewDomainId();
        var body = new Dictionary<string, object?> { ["id"] = id, ["name"] = "SQL agent", ["keywords"] = new[] { "sql" }, ["team"] = "data", ["layer"] = "agents" };
        if (extra is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject()) body[p.Name] = p.Value;
        }
        var response = await client.PostAsJsonAsync("/api/domains", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    /// <summary>A tiny GGUF model (random weights) as an artifact, with its sha256: registration validates the file.</summary>
    public static (string Path, string Sha256) Artifact() => ArtifactOf(TinyModelBytes());

    /// <summary>The bytes of a tiny llama-architecture model, a different one each call.</summary>
    public static byte[] TinyModelBytes()
    {
        using var stream = new MemoryStream();
        TinyModelGenerator.Plan(new TinyModelOptions
        {
            Layers = 1, EmbeddingSize = 8, Heads = 2, FeedForwardSize = 16, ContextLength = 32, Seed = (ulong)Random.Shared.NextInt64(1, long.MaxValue),
        }).Writer.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>A file holding <paramref name="bytes"/> in the temp folder, with its sha256.</summary>
    public static (string Path, string Sha256) ArtifactOf(byte[] bytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"artifact-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        return (path, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    public static readonly Dictionary<string, double> GoodMetrics = new()
    {
        ["accuracy"] = 0.91, ["latency_ms"] = 120, ["training_loss"] = 0.2, ["validation_loss"] = 0.25,
    };

    public static async Task<HttpResponseMessage> RegisterAsync(HttpClient client, string domain, string? version, Dictionary<string, double>? metrics = null, string? sha256 = null)
    {
        var (path, sha) = Artifact();
        return await client.PostAsJsonAsync($"/api/models/{domain}/versions",
            new { version, artifactPath = path, artifactSha256 = sha256 ?? sha, metrics = metrics ?? GoodMetrics, trainingRunId = "run-1", datasetId = "ds-1" }, Ct);
    }

    public static async Task<JsonElement> RegisterOkAsync(HttpClient client, string domain, string? version)
    {
        var response = await RegisterAsync(client, domain, version);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    public static async Task DeployStableAsync(HttpClient client, string domain, string version)
    {
        var response = await client.PostAsJsonAsync($"/api/deployments/{domain}/stable", new { version }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static async Task<Guid> StartRolloutAsync(HttpClient client, string domain, string version, long minSamples = 10, double[]? steps = null)
    {
        var response = await client.PostAsJsonAsync("/api/rollouts", new { domain, version, minStepSeconds = 0, minSamples, steps }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    public static Task<JsonElement> WaitForRolloutAsync(HttpClient client, Guid id, Func<JsonElement, bool> done, string what) =>
        Eventually.GetAsync(() => GetJsonAsync(client, $"/api/rollouts/{id}"), done, what);

    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string mentioned)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentioned, await response.Content.ReadAsStringAsync(Ct));
    }
}
