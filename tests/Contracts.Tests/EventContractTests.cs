using System.Text.Json;
using DomainPlatform.EventBus;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Contracts.Tests;

public sealed class EventContractTests
{
    [Fact]
    public void Every_event_has_a_unique_stable_name_and_an_example()
    {
        var names = EventCatalog.All.Select(EventCatalog.NameOf).ToList();
        Assert.NotEmpty(names);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.StartsWith("domainplatform.", n));
        Assert.All(EventCatalog.All, t => Assert.IsType(t, EventCatalog.Example(t)));
    }

    [Fact]
    public void Events_round_trip_as_plain_camel_case_json()
    {
        foreach (var type in EventCatalog.All)
        {
            var example = EventCatalog.Example(type);
            var json = JsonSerializer.Serialize(example, type, EventSerialization.Options);
            using var parsed = JsonDocument.Parse(json);
            Assert.True(parsed.RootElement.TryGetProperty("eventId", out _), $"{type.Name} lacks eventId: {json}");
            Assert.True(parsed.RootElement.TryGetProperty("schemaVersion", out _), $"{type.Name} lacks schemaVersion");
            var back = JsonSerializer.Deserialize(json, type, EventSerialization.Options);
            Assert.Equal(json, JsonSerializer.Serialize(back, type, EventSerialization.Options));
        }
    }

    [Fact]
    public void Events_from_publishers_before_the_rollback_type_and_the_alerts_model_version_still_read()
    {
        // Additive fields keep schemaVersion 1: a consumer reads an older body with the new field null.
        var rollback = JsonSerializer.Deserialize<Events.RollbackPerformed>("""
            {"domain":"d","fromVersion":"1.1.0","toVersion":"1.0.0","reason":"r","rolloutId":null,"eventId":"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f","occurredAt":"2026-11-23T12:00:00+00:00","schemaVersion":1}
            """, EventSerialization.Options)!;
        Assert.Equal(("1.0.0", null, 1), (rollback.ToVersion, rollback.Type, rollback.SchemaVersion));
        var alert = JsonSerializer.Deserialize<Events.AlertRaised>("""
            {"alertId":"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f","level":"WARNING","domain":"d","experimentId":null,"metric":"error_rate","value":0.06,"threshold":0.05,"message":"m","schemaVersion":1}
            """, EventSerialization.Options)!;
        Assert.Equal(("WARNING", null), (alert.Level, alert.ModelVersion));
        Assert.Equal(Events.RollbackTypes.All, ["emergency", "automatic", "gradual", "manual", "scheduled"]);
    }

    [Fact]
    public void EventDocs_in_the_repository_match_the_contracts()
    {
        var path = Path.Combine(TestInfrastructure.RepositoryRoot, "docs", "events.md");
        var rendered = EventDocumentation.Render();
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, rendered);
        }
        Assert.True(File.Exists(path), "docs/events.md is missing: run with UPDATE_DOCS=1 to generate it.");
        Assert.True(File.ReadAllText(path) == rendered, "docs/events.md is out of date: run with UPDATE_DOCS=1 to regenerate it.");
    }

    [Fact]
    public void Every_events_json_schema_is_published_and_no_published_schema_was_broken()
    {
        System.IO.Directory.CreateDirectory(EventSchemas.Directory);
        var update = Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1";
        var problems = new List<string>();
        foreach (var type in EventCatalog.All)
        {
            var path = Path.Combine(EventSchemas.Directory, EventSchemas.FileName(type));
            var rendered = EventSchemas.Render(type);
            if (File.Exists(path))
            {
                // Within a schema version only additions: a consumer written against the published file keeps working.
                var breaks = EventSchemas.BreakingChanges(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!, System.Text.Json.Nodes.JsonNode.Parse(rendered)!);
                problems.AddRange(breaks.Select(b => $"{EventSchemas.FileName(type)}: {b} (a breaking change: raise {type.Name}'s schemaVersion)"));
                if (breaks.Count > 0) continue;
            }
            if (update) File.WriteAllText(path, rendered);
            else if (!File.Exists(path) || File.ReadAllText(path) != rendered) problems.Add($"{EventSchemas.FileName(type)} is missing or out of date: run with UPDATE_DOCS=1 to regenerate it.");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_breaking_change_rule_refuses_a_removed_property_a_new_type_a_property_that_may_be_absent_and_a_new_value()
    {
        var published = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type":"object","required":["a","b","c","d"],"properties":{"a":{"type":"string"},"b":{"type":["integer","null"]},"c":{"enum":["x","y"]},
             "d":{"type":"array","items":{"type":"object","required":["e"],"properties":{"e":{"type":"number"}}}}}}
            """)!;
        // More properties, a type narrowed, fewer values: every body of the new contract is one the old schema describes.
        var additive = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type":"object","required":["a","b","c","d","g"],"properties":{"a":{"type":"string"},"b":{"type":"integer"},"c":{"enum":["x"]},
             "d":{"type":"array","items":{"type":"object","required":["e","f"],"properties":{"e":{"type":"number"},"f":{"type":"string"}}}},"g":{"type":"string"}}}
            """)!;
        Assert.Empty(EventSchemas.BreakingChanges(published, additive));

        var broken = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type":"object","required":["b","c","d"],"properties":{"b":{"type":["integer","null","string"]},"c":{"enum":["x","y","z"]},
             "d":{"type":"array","items":{"type":"object","properties":{}}}}}
            """)!;
        Assert.Equal(
        [
            "(the event): 'a' may now be absent",
            "(the event): property 'a' was removed",
            "b: may now be string (was integer|null)",
            "c: may now be \"z\"",
            "d[]: 'e' may now be absent",
            "d[]: property 'e' was removed",
        ], EventSchemas.BreakingChanges(published, broken));
    }
}
