using DomainPlatform.Contracts;
using MassTransit;

namespace DomainPlatform.EventBus;

/// <summary>Names each event's exchange after its documented <see cref="EventNameAttribute"/>, not its CLR type.</summary>
internal sealed class EventNameFormatter(IEntityNameFormatter fallback) : IEntityNameFormatter
{
    public string FormatEntityName<T>() =>
        typeof(T).IsSubclassOf(typeof(IntegrationEvent)) ? EventCatalog.NameOf(typeof(T)) : fallback.FormatEntityName<T>();
}
