using System.ComponentModel;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using DomainPlatform.EventBus;

namespace DomainPlatform.Contracts.Tests;

/// <summary>Renders docs/events.md from the contracts themselves, so the documentation cannot drift.</summary>
public static class EventDocumentation
{
    private static readonly JsonSerializerOptions Indented = new(EventSerialization.Options)
    {
        WriteIndented = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static string Render()
    {
        var doc = new StringBuilder();
        doc.AppendLine("# Events");
        doc.AppendLine();
        doc.AppendLine("Generated from `services/Contracts` by `tests/Contracts.Tests` (run `UPDATE_DOCS=1 ./platform test --filter EventDocs` after changing an event).");
        doc.AppendLine();
        doc.AppendLine("Every event is published to a RabbitMQ fan-out exchange named after the event (the name below), as a plain");
        doc.AppendLine("JSON body (`content-type: application/json`, camelCase, no envelope). To consume one from any language, declare");
        doc.AppendLine("your own queue and bind it to that exchange: every exchange below exists as soon as any service has started,");
        doc.AppendLine("before the first event of its kind. Every event carries `eventId` (deduplicate on it: delivery is");
        doc.AppendLine("at least once), `occurredAt` and `schemaVersion` (raised only on a breaking change).");
        doc.AppendLine();
        doc.AppendLine("Each event's JSON Schema (draft 2020-12) is published in [events/schemas](events/schemas) as");
        doc.AppendLine("`<exchange>.v<schemaVersion>.json`. Every property is always present (null when it has no value). Within a");
        doc.AppendLine("schema version a change only adds properties: `tests/Contracts.Tests` fails the build when a property is removed,");
        doc.AppendLine("may be absent, or may take a type or value the published file does not allow, unless the event's");
        doc.AppendLine("`schemaVersion` is raised (a new file beside the old one). `tests/EventBus.Tests` consumes every event from the");
        doc.AppendLine("outbox with a Node.js consumer (amqplib, its own queues bound as above) and validates each body against these");
        doc.AppendLine("files with ajv (`tests/EventBus.Tests/node-consumer/consume.mjs`, a starting point for a consumer of your own).");
        doc.AppendLine();
        doc.AppendLine("Each service writes its events into its own Postgres outbox in the transaction that makes the change they");
        doc.AppendLine("describe, and a dispatcher publishes them with broker confirms in commit order; while RabbitMQ is down they");
        doc.AppendLine("wait in the outbox, so nothing committed is lost. Published rows are kept an hour, then purged.");
        doc.AppendLine();
        doc.AppendLine("A batch has 10 s to be confirmed; a publish stuck on a connection that died is given up and retried (at most");
        doc.AppendLine("5 s apart while the broker is away), and the row records `attempts` and `last_error`. A row the replica cannot");
        doc.AppendLine("turn into a message is set aside with its reason (`set_aside_reason`: `unknown_event`, an event this replica");
        doc.AppendLine("does not know, as in a rolling upgrade, which a replica that knows it publishes later; `unreadable_payload`)");
        doc.AppendLine("and the rows behind it go on. The service's `/health` then reports its `outbox` check Degraded, naming the");
        doc.AppendLine("oldest such row; the `DomainPlatform.EventBus` meter has `eventbus.outbox.pending`, `eventbus.outbox.set_aside`,");
        doc.AppendLine("`eventbus.outbox.published` and `eventbus.outbox.publish_failures`. Its `rabbitmq` check (one AMQP connection of");
        doc.AppendLine("its own, recovering by itself) is Unhealthy while the broker is away, in every service, including those that");
        doc.AppendLine("only publish (MassTransit's own check judges receive endpoints, so a publish-only service looked healthy).");
        doc.AppendLine();
        doc.AppendLine("A platform consumer whose database is away (a transient Npgsql error, a timeout) tries again 0.5 s, 1, 2, 4,");
        doc.AppendLine("8, 16 and 32 s later and then every minute, about 10 minutes in all, holding the message, so an outage of the");
        doc.AppendLine("database loses nothing; any other error is retried 5 times within about 9 s and then the message goes to the");
        doc.AppendLine("consumer's `<queue>_error` queue. A handler that waits for another event (feedback that overtook its request's");
        doc.AppendLine("outcome: it waits up to 10 s, then counts for the domain and variant it names) is tried again 0.5 s, 1, 1, 2, 2,");
        doc.AppendLine("2, 3, 3, 3 and 3 s later, about 20 s in all, longer than any such wait (at most 15 s), so waiting never sends a");
        doc.AppendLine("message to the error queue.");
        doc.AppendLine();
        doc.AppendLine("| event | exchange | published by |");
        doc.AppendLine("| --- | --- | --- |");
        foreach (var type in EventCatalog.All)
        {
            doc.AppendLine($"| [{type.Name}](#{type.Name.ToLowerInvariant()}) | `{EventCatalog.NameOf(type)}` | {Publisher(type)} |");
        }
        foreach (var type in EventCatalog.All)
        {
            doc.AppendLine();
            doc.AppendLine($"## {type.Name}");
            doc.AppendLine();
            doc.AppendLine($"Exchange `{EventCatalog.NameOf(type)}`, published by {Publisher(type)}.");
            doc.AppendLine();
            doc.AppendLine("Example:");
            doc.AppendLine();
            doc.AppendLine("```json");
            doc.AppendLine(JsonSerializer.Serialize(EventCatalog.Example(type), type, Indented));
            doc.AppendLine("```");
            doc.AppendLine();
            doc.AppendLine("<details><summary>JSON schema</summary>");
            doc.AppendLine();
            doc.AppendLine("```json");
            doc.AppendLine(Indented.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
                {
                    TreatNullObliviousAsNonNullable = true,
                    TransformSchemaNode = Describe,
                }).ToJsonString(Indented));
            doc.AppendLine("```");
            doc.AppendLine();
            doc.AppendLine("</details>");
        }
        return doc.ToString().Replace("\r\n", "\n");
    }

    /// <summary>A property's [Description] becomes its schema's "description": what a field means, beside its type.</summary>
    private static JsonNode Describe(JsonSchemaExporterContext context, JsonNode schema)
    {
        var description = context.PropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(DescriptionAttribute), inherit: true)
            .OfType<DescriptionAttribute>().FirstOrDefault()?.Description;
        if (description is not null && schema is JsonObject properties) properties.Insert(0, "description", description);
        return schema;
    }

    private static string Publisher(Type type) => type.Name switch
    {
        "DatasetReady" => "extraction",
        "TrainingCompleted" or "TrainingProgressed" => "training",
        "ModelDeployed" or "RouteTableChanged" or "RollbackPerformed" => "deployment",
        "InferenceCompleted" or "FeedbackReceived" => "gateway",
        _ => "experimentation",
    };
}
