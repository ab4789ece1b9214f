using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DomainPlatform.Dp.Cli;

/// <summary>Turning option values into request bodies: lists, NAME=VALUE pairs and --set paths.</summary>
public static class Values
{
    /// <summary>"1,10,50,100" as numbers; a word that is no number is a usage error naming the option.</summary>
    public static List<double>? Numbers(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var numbers = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new UsageException($"{option}: '{part}' is not a number (expected e.g. 1,10,50,100)");
            }
            numbers.Add(value);
        }
        return numbers;
    }

    /// <summary>NAME=VALUE; the name must not be empty.</summary>
    public static (string Name, string Value) Pair(string text, string option)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0) throw new UsageException($"{option}: '{text}' is not NAME=VALUE");
        return (text[..equals].Trim(), text[(equals + 1)..].Trim());
    }

    public static double Number(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"{option}: '{text}' is not a number");

    /// <summary>A value as JSON where it reads as JSON (numbers, true/false, null, arrays, objects, quoted strings), else as a string.</summary>
    public static JsonNode? Literal(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>Applies --set a.b.c=VALUE to a body: the path's objects are made as needed, the value read by <see cref="Literal"/>.</summary>
    public static void Set(JsonObject body, IEnumerable<string>? assignments)
    {
        foreach (var assignment in assignments ?? [])
        {
            var (path, value) = Pair(assignment, "--set");
            var names = path.Split('.');
            if (names.Any(string.IsNullOrWhiteSpace)) throw new UsageException($"--set: '{path}' has an empty field name");
            var target = body;
            foreach (var name in names[..^1])
            {
                if (target[name] is not JsonObject next)
                {
                    next = new JsonObject();
                    target[name] = next;
                }
                target = next;
            }
            target[names[^1]] = Literal(value);
        }
    }

    /// <summary>Sets a field only when the option was given, so the service keeps (or defaults) what was not.</summary>
    public static void Put(JsonObject body, string path, JsonNode? value)
    {
        if (value is null) return;
        var names = path.Split('.');
        var target = body;
        foreach (var name in names[..^1])
        {
            if (target[name] is not JsonObject next)
            {
                next = new JsonObject();
                target[name] = next;
            }
            target = next;
        }
        target[names[^1]] = value;
    }
}
