using System.Text.Json;

namespace DomainPlatform.Training.Domain;

public sealed record PromptCompletion(string Prompt, string Completion);

/// <summary>Reads the training-set format extraction writes: one {"prompt": ..., "completion": ...} object per line.</summary>
public static class JsonlDataset
{
    /// <summary>The examples, or a <see cref="FormatException"/> naming the first bad line (1-based).</summary>
    public static List<PromptCompletion> Parse(string content)
    {
        var examples = new List<PromptCompletion>();
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line)) continue;
            examples.Add(ParseLine(line, i + 1));
        }
        return examples;
    }

    private static PromptCompletion ParseLine(string line, int number)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Line {number} is not valid JSON: {ex.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"Line {number} is not a JSON object.");
        return new PromptCompletion(Field(root, "prompt", number), Field(root, "completion", number));
    }

    private static string Field(JsonElement row, string name, int number) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"Line {number} has no string \"{name}\".");
}
