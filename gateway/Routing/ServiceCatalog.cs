namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// Management APIs are read by viewers and changed by operators; inference serves clients; a web UI (the console) is
/// passed through without a key, since it signs its own users in and calls the APIs with their key.
/// </summary>
public enum ApiKind { Management, Inference, WebUi }

/// <summary>
/// A service behind the gateway and the path prefixes whose API it owns; <paramref name="ReadOnlyPrefixes"/> are management
/// APIs beside its own kind that the gateway passes on for reading only (GET and HEAD, viewers and above).
/// </summary>
public sealed record BackendService(string Name, IReadOnlyList<string> PathPrefixes, ApiKind Kind = ApiKind.Management, IReadOnlyList<string>? ReadOnlyPrefixes = null)
{
    /// <summary>Every prefix the service owns, read-only ones included.</summary>
    public IEnumerable<string> AllPrefixes => PathPrefixes.Concat(ReadOnlyPrefixes ?? []);

    /// <summary>The service-discovery address of its HTTP endpoint (<c>services__{name}__http__0</c>).</summary>
    public string DiscoveryAddress => $"http://{Name}";

    /// <summary>Where the gateway serves this service's OpenAPI document.</summary>
    public string OpenApiPath => $"/openapi/{Name}/v1.json";
}

/// <summary>
/// The one table of which service owns which path: every management API and inference's
/// OpenAI-compatible surface. The gateway's own endpoints (health, /api/openapi, /api/keys,
/// /v1/feedback) are literal routes and win over these prefixes.
/// </summary>
public static class ServiceCatalog
{
    public const string Deployment = "deployment";
    public const string Experimentation = "experimentation";
    public const string Extraction = "extraction";
    public const string Training = "training";
    public const string Inference = "inference";
    public const string Console = "console";

    /// <summary>Where every service serves its own OpenAPI document (ASP.NET Core's default).</summary>
    public const string ServiceOpenApiPath = "/openapi/v1.json";

    public static IReadOnlyList<BackendService> Services { get; } =
    [
        new(Deployment, ["/api/domains", "/api/models", "/api/deployments", "/api/rollouts", "/api/audit"]),
        new(Experimentation, ["/api/experiments", "/api/alerts", "/api/routing", "/api/metrics", "/api/reports"]),
        new(Extraction, ["/api/sources", "/api/datasets", "/api/extraction", "/api/privacy"]),
        new(Training, ["/api/training"]),
        // Only the endpoints inference serves: /v1/models is the gateway's own (the domains), any other /v1 path an OpenAI 404.
        // Its figures per loaded model (memory, KV cache, slots, GPU layers), read by the console's domain page.
        new(Inference, ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"], ApiKind.Inference, ReadOnlyPrefixes: ["/api/inference"]),
        // The operators' console: its pages, static assets and Blazor's SignalR hub (/console/_blazor) under one prefix.
        new(Console, ["/console"], ApiKind.WebUi),
    ];
}
