using System.Net.Http.Headers;
using System.Net.Http.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// The gateway in-process on real infrastructure, with real loopback backends for deployment,
/// experimentation, extraction and two inference destinations ("inference", "inference-canary"), deployment's
/// route registry over gRPC serving <see cref="TestRoutes.Initial"/>, and training registered where nothing listens.
/// </summary>
public sealed class GatewayFactory() : ServiceFactory<Program>("gatewaydb")
{
    private readonly List<FakeBackend> _backends = [];
    private readonly string _deadTraining = FakeBackend.DeadUrl();
    private readonly string _deadInference = FakeBackend.DeadUrl();

    public FakeBackend Backend(string name) => _backends.Single(b => b.Name == name);

    public FakeRouteRegistry Registry { get; private set; } = null!;

    public string AdminKeyFile { get; } = Path.Combine(Path.GetTempPath(), TestInfrastructure.UniqueName("admin-key"));

    public override async ValueTask InitializeAsync()
    {
        foreach (var name in new[] { "deployment", "experimentation", "extraction", "inference", "inference-canary" })
        {
            _backends.Add(await FakeBackend.StartAsync(name));
        }
        Registry = await FakeRouteRegistry.StartAsync(TestRoutes.Initial());
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. _backends.Select(b => new KeyValuePair<string, string>($"services:{b.Name}:http:0", b.Url)),
        new("services:training:http:0", _deadTraining),
        new("services:deployment:grpc:0", Registry.Url),
        // A second inference instance that is down: requests must still succeed, retried on the live one.
        new("services:inference:http:1", _deadInference),
        // Generous limits so load tests measure routing; RateLimitTests sets tight ones on its own hosts.
        new("Gateway:RateLimit:Capacity", "1000000"),
        new("Gateway:RateLimit:RefillPerSecond", "1000000"),
        new("Gateway:AdminKeyFile", AdminKeyFile),
        new("Platform:AssignmentKeySecret", AssignmentKeySecret),
    ];

    /// <summary>The secret the test gateway keys assignment-key hashes with.</summary>
    public const string AssignmentKeySecret = "gateway-tests-assignment-key-secret-0123456789";

    /// <summary>The bootstrap admin key the gateway wrote at start.</summary>
    public string AdminKey
    {
        get
        {
            StartServer(); // the gateway writes the file as it starts
            return File.ReadAllText(AdminKeyFile).Trim();
        }
    }

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>A new key of <paramref name="role"/>, created through the admin API as an operator would.</summary>
    public async Task<string> CreateKeyAsync(string role, string? name = null)
    {
        using var admin = CreateClient(AdminKey);
        var response = await admin.PostAsJsonAsync("/api/keys", new { name = name ?? $"test {role}", role });
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<CreatedKeyBody>();
        return created!.Key;
    }

    public async Task<HttpClient> CreateClientAsync(string role) => CreateClient(await CreateKeyAsync(role));

    private sealed record CreatedKeyBody(Guid Id, string Key);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var backend in _backends) await backend.DisposeAsync();
        await Registry.DisposeAsync();
        File.Delete(AdminKeyFile);
    }
}
