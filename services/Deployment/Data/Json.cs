using System.Text.Json;

namespace DomainPlatform.Deployment.Data;

/// <summary>The JSON shape of stored snapshots (jsonb columns, audit before/after, cache entries): camelCase like the API.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string? json) where T : new() =>
        string.IsNullOrWhiteSpace(json) ? new T() : JsonSerializer.Deserialize<T>(json, Options) ?? new T();
}
