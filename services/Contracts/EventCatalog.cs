using System.Collections.Frozen;
using System.Reflection;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Contracts;

/// <summary>Every event type the platform publishes, by its stable name, with a documented example each.</summary>
public static class EventCatalog
{
    private static readonly FrozenDictionary<string, Type> ByName = typeof(IntegrationEvent).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false } && t.IsSubclassOf(typeof(IntegrationEvent)))
        .ToFrozenDictionary(NameOf, t => t);

    public static IEnumerable<Type> All => ByName.Values.OrderBy(NameOf, StringComparer.Ordinal);

    public static string NameOf(Type eventType) =>
        eventType.GetCustomAttribute<EventNameAttribute>()?.Name
        ?? throw new InvalidOperationException($"{eventType.Name} has no [EventName]: every event needs a stable broker name.");

    public static Type? Resolve(string name) => ByName.GetValueOrDefault(name);

    private static readonly DateTimeOffset ExampleTime = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid ExampleId = Guid.Parse("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f");

    /// <summary>An example instance of each event, used in the event documentation.</summary>
    public static IntegrationEvent Example(Type eventType)
    {
        IntegrationEvent example = eventType.Name switch
        {
            nameof(DatasetReady) => new DatasetReady(ExampleId, "0x5678-SQLAgent", "sql-queries-2026-11", 1200, "/data/datasets/0193f5a2.jsonl", new string('a', 64), 2.0),
            nameof(TrainingCompleted) => new TrainingCompleted(ExampleId, "0x5678-SQLAgent", ExampleId, true, "/data/models/sqlagent-1.3.0.gguf", new string('b', 64), 4_194_304, "1.2.0",
                new TrainingMetrics(0.21, 0.27, 0.91, 120), null),
            nameof(TrainingProgressed) => new TrainingProgressed(ExampleId, "0x5678-SQLAgent", 1, 2, 40, 111, 0.18, 3.889, null, 1480.5,
                "epoch 1/2: training batch 40/99, running loss 3.889"),
            nameof(ModelDeployed) => new ModelDeployed("0x5678-SQLAgent", "1.3.0", "canary", 10),
            nameof(RouteTableChanged) => new RouteTableChanged(42, [new DomainRoute("0x5678-SQLAgent", ["sql"], ["sql", "query", "table"], "rollout-0193f5a2",
                [new RouteVariant("stable", "1.2.0", "0x5678-SQLAgent@1.2.0", 90, "inference"), new RouteVariant("canary", "1.3.0", "0x5678-SQLAgent@1.3.0", 10, "inference")], new RouteCache(true, 300), 512, ExampleTime.AddDays(-30))]),
            nameof(RollbackPerformed) => new RollbackPerformed("0x5678-SQLAgent", "1.3.0", "1.2.0", "error rate 14.2% above threshold 10%", ExampleId, RollbackTypes.Emergency),
            nameof(InferenceCompleted) => new InferenceCompleted("req-7f3a", "0x5678-SQLAgent", "canary", "1.3.0", 182.5, 41.0, 57, 128, 200, true, false, "9c1d0e7a4b2f6e11", null, false, 3.2),
            nameof(FeedbackReceived) => new FeedbackReceived("req-7f3a", "0x5678-SQLAgent", "canary", 0.9, true, "correct"),
            nameof(ExperimentConcluded) => new ExperimentConcluded(ExampleId, "0x5678-SQLAgent", "winner", "treatment", "1.3.0", true, "treatment beats control on accuracy: +4.1% (95% CI +1.2% to +7.0%), p = 0.006"),
            nameof(ExperimentTrafficChanged) => new ExperimentTrafficChanged(ExampleId, "0x5678-SQLAgent", "running", 2,
                [new ExperimentVariantWeight("control", "1.2.0", 50), new ExperimentVariantWeight("treatment-a", "1.3.0", 25), new ExperimentVariantWeight("treatment-b", "1.3.1", 25)]),
            nameof(CanaryVerdict) => new CanaryVerdict(ExampleId, "0x5678-SQLAgent", "1.2.0", "1.3.0", "continue", "all metrics within thresholds over 640 samples"),
            nameof(AlertRaised) => new AlertRaised(ExampleId, "CRITICAL", "0x5678-SQLAgent", null, "error_rate", 0.142, 0.10, "error rate 14.2% above the critical threshold 10%", "1.3.0"),
            nameof(RoutingWeightsUpdated) => new RoutingWeightsUpdated(new Dictionary<string, double> { ["0x5678-SQLAgent"] = 0.62, ["0x1234-DocsQA"] = 0.38 }),
            _ => throw new InvalidOperationException($"No example for {eventType.Name}: add one so the event is documented."),
        };
        return example with { EventId = ExampleId, OccurredAt = ExampleTime };
    }
}
