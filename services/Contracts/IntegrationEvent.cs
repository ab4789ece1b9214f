namespace DomainPlatform.Contracts;

/// <summary>
/// Base of every event the platform publishes. Events are immutable, past-tense facts serialized as
/// plain camelCase JSON; <see cref="EventId"/> makes consumers idempotent.
/// </summary>
public abstract record IntegrationEvent
{
    public Guid EventId { get; init; } = Guid.CreateVersion7();
    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Raised only on a breaking change of the payload; additive fields keep the version.</summary>
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>The broker-level name of an event (its RabbitMQ fan-out exchange), stable across refactors.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
