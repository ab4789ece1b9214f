using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace DomainPlatform.Gateway.Auth;

/// <summary>The roles a key can have, from most to least powerful.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";
    public const string Client = "client";

    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Viewer, Client];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}

/// <summary>A freshly generated key: the secret to hand out once, and what is stored instead of it.</summary>
public sealed record GeneratedApiKey(string Secret, byte[] Hash, string Prefix);

/// <summary>Generating, hashing and reading API keys (pure apart from the random source).</summary>
public static class ApiKeys
{
    public const string SecretPrefix = "dpk_";
    public const string HeaderName = "X-Api-Key";

    // Enough of the key to recognise it in a list, far too little to guess the rest (it is 43 random characters).
    private const int VisiblePrefixLength = 12;
    private const int RandomBytes = 32;

    public static GeneratedApiKey Generate()
    {
        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(RandomBytes));
        return new GeneratedApiKey(secret, Hash(secret), secret[..VisiblePrefixLength]);
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// The key a request presents: <c>Authorization: Bearer &lt;key&gt;</c> (what OpenAI clients send) or
    /// <c>X-Api-Key</c>; null when it presents none.
    /// </summary>
    public static string? ReadPresented(StringValues authorization, StringValues apiKeyHeader)
    {
        if (apiKeyHeader.Count > 0 && !string.IsNullOrWhiteSpace(apiKeyHeader[0])) return apiKeyHeader[0]!.Trim();
        foreach (var value in authorization)
        {
            if (value is null) continue;
            var trimmed = value.Trim();
            if (trimmed.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && trimmed.Length > "Bearer ".Length)
            {
                return trimmed["Bearer ".Length..].Trim();
            }
        }
        return null;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
