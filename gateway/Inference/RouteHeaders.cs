namespace DomainPlatform.Gateway.Inference;

/// <summary>Headers by which the gateway tells a caller where its request went, and lets operators steer it.</summary>
public static class RouteHeaders
{
    public const string Domain = "X-Route-Domain";
    public const string Variant = "X-Route-Variant";
    public const string ModelVersion = "X-Route-Model-Version";
    public const string RequestId = "X-Request-Id";

    /// <summary>Operators and admins pin a request to a named variant with this header.</summary>
    public const string ForceVariant = "X-Force-Variant";

    /// <summary>The caller's user id when the body carries no <c>user</c>.</summary>
    public const string UserId = "X-User-Id";
}

/// <summary>The key a request is assigned by: the same person keeps the same variant on every request.</summary>
public static class AssignmentKeys
{
    public static string For(string? bodyUser, string? userIdHeader, string? apiKeyId, string requestId)
    {
        if (!string.IsNullOrWhiteSpace(bodyUser)) return bodyUser.Trim();
        if (!string.IsNullOrWhiteSpace(userIdHeader)) return userIdHeader.Trim();
        // Prefixed so a key id can never coincide with some user's chosen name.
        if (!string.IsNullOrWhiteSpace(apiKeyId)) return "apikey:" + apiKeyId;
        return "request:" + requestId;
    }
}

/// <summary>What the gateway decided for one inference request; later steps (cache, outcome events) read it.</summary>
public sealed record InferenceRoute(
    string RequestId, string Domain, string Variant, string ModelVersion, string ModelId, string AssignmentKey, OpenAiRequest Request,
    Contracts.Events.RouteCache? Cache = null, int? MaxTokens = null);
