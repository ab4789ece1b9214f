using System.Net;
using System.Text;

namespace DomainPlatform.TestSupport;

/// <summary>The bad-input check every service's API tests make: a raw body gets 400 problem details naming what was wrong.</summary>
public static class ProblemAssertions
{
    /// <summary>Posts <paramref name="body"/> as JSON and returns the failure to report, or null when the answer is as expected.</summary>
    public static async Task<string?> BadRequestNamingAsync(HttpClient client, string path, string body, string mentioned, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.BadRequest) return $"POST {path} {body}: expected 400, got {(int)response.StatusCode} {text}";
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"POST {path} {body}: expected application/problem+json, got {response.Content.Headers.ContentType?.MediaType}";
        }
        return text.Contains(mentioned, StringComparison.Ordinal) ? null : $"POST {path} {body}: the problem does not mention '{mentioned}': {text}";
    }
}
