using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DomainPlatform.Inference.Tests;

/// <summary>Small helpers to call the OpenAI endpoints and read their answers.</summary>
public static class Http
{
    public static async Task<JsonElement> PostJsonAsync(this HttpClient client, string path, object body, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync(path, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<string> CompleteAsync(this HttpClient client, string prompt, int maxTokens, CancellationToken ct, uint seed = 1,
        float temperature = 0f, string model = InferenceFactory.ModelId)
    {
        var result = await client.PostJsonAsync("/v1/completions",
            new { model, prompt, max_tokens = maxTokens, temperature, seed, ignore_eos = true }, ct);
        return result.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    /// <summary>The data payloads of a server-sent event stream, up to and including [DONE].</summary>
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line["data: ".Length..]);
            }
        }
        return events;
    }

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}
