using System.Text.Json;
using System.Text.Json.Serialization;

namespace DomainPlatform.EventBus;

/// <summary>The JSON shape of events on the wire and in the outbox: camelCase, as MassTransit writes them.</summary>
public static class EventSerialization
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
