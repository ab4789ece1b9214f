using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using DomainPlatform.EventBus;

namespace DomainPlatform.Contracts.Tests;

/// <summary>
/// Each event's JSON Schema as published under docs/events/schemas/&lt;name&gt;.v&lt;schemaVersion&gt;.json, from the
/// contracts and the wire serializer (every property is always written, null when it has no value, so every one is
/// required), and the rule for what a consumer may rely on: within one schema version, a body written by the new
/// contract must still be one the published schema describes. Removing a property, letting a property take a type it
/// could not (null included) or a value outside its enumeration breaks consumers and needs a new schemaVersion (a new
/// file beside the old); adding a property does not.
/// </summary>
public static class EventSchemas
{
    public static string Directory => Path.Combine(TestSupport.TestInfrastructure.RepositoryRoot, "docs", "events", "schemas");

    public static string FileName(Type type) => $"{EventCatalog.NameOf(type)}.v{EventCatalog.Example(type).SchemaVersion}.json";

    public static string Render(Type type)
    {
        // Numbers as they are written (the serializer also reads them from strings, which the wire never has).
        // The resolver named: a copy of options no serializer has used yet has none, and the exporter needs one.
        var wire = new JsonSerializerOptions(EventSerialization.Options)
        {
            NumberHandling = JsonNumberHandling.Strict,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        var schema = JsonSchemaExporter.GetJsonSchemaAsNode(wire, type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
        if (schema["properties"] is JsonObject properties) schema["required"] = new JsonArray([.. properties.Select(p => (JsonNode?)p.Key)]);
        var document = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://domainplatform.local/events/{FileName(type)}",
            ["title"] = type.Name,
            ["description"] = $"The body of {EventCatalog.NameOf(type)} (exchange of the same name), schemaVersion {EventCatalog.Example(type).SchemaVersion}.",
        };
        foreach (var (key, value) in schema.AsObject().ToList())
        {
            schema.AsObject().Remove(key);
            document[key] = value;
        }
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>What in <paramref name="current"/> breaks a consumer written against <paramref name="published"/>; empty when it only adds.</summary>
    public static IReadOnlyList<string> BreakingChanges(JsonNode published, JsonNode current, string path = "")
    {
        var breaks = new List<string>();
        var oldTypes = Types(published);
        var newTypes = Types(current);
        if (oldTypes.Count > 0 && !newTypes.IsSubsetOf(oldTypes))
        {
            breaks.Add($"{Where(path)}: may now be {string.Join("|", newTypes.Except(oldTypes).Order())} (was {string.Join("|", oldTypes.Order())})");
        }
        if (published["enum"] is JsonArray oldEnum)
        {
            var allowed = oldEnum.Select(v => v?.ToJsonString()).ToHashSet();
            var now = current["enum"] is JsonArray newEnum ? newEnum.Select(v => v?.ToJsonString()) : ["(any value)"];
            foreach (var value in now.Where(v => !allowed.Contains(v))) breaks.Add($"{Where(path)}: may now be {value}");
        }
        var newRequired = Names(current["required"]);
        foreach (var name in Names(published["required"]).Where(n => !newRequired.Contains(n)))
        {
            breaks.Add($"{Where(path)}: '{name}' may now be absent");
        }
        if (published["properties"] is JsonObject oldProperties)
        {
            var newProperties = current["properties"] as JsonObject;
            foreach (var (name, schema) in oldProperties)
            {
                if (newProperties?[name] is not { } now) breaks.Add($"{Where(path)}: property '{name}' was removed");
                else if (schema is not null) breaks.AddRange(BreakingChanges(schema, now, $"{path}.{name}"));
            }
        }
        if (published["items"] is { } oldItems && current["items"] is { } newItems) breaks.AddRange(BreakingChanges(oldItems, newItems, $"{path}[]"));
        if (published["additionalProperties"] is JsonObject oldValues && current["additionalProperties"] is JsonObject newValues)
        {
            breaks.AddRange(BreakingChanges(oldValues, newValues, $"{path}{{*}}"));
        }
        return breaks;
    }

    private static string Where(string path) => path.Length == 0 ? "(the event)" : path.TrimStart('.');

    private static HashSet<string> Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray many => many.Select(t => t!.GetValue<string>()).ToHashSet(),
        JsonValue one => [one.GetValue<string>()],
        _ => [],
    };

    private static HashSet<string> Names(JsonNode? list) => list is JsonArray names ? names.Select(n => n!.GetValue<string>()).ToHashSet() : [];
}
