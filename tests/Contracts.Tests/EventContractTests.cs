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
}
