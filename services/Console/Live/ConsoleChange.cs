using System.Text.Json;
using DomainPlatform.Contracts;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Console.Live;

/// <summary>What kind of object an event changed, as the console's pages show them.</summary>
public enum ChangeArea
{
    /// <summary>Anything may have changed (the console's subscription came back after RabbitMQ was away): every page reads again.</summary>
    Everything,
    Rollout,
    Deployment,
    Experiment,
    Alert,
    Dataset,
    /// <summary>A training job ended (TrainingCompleted).</summary>
    Training,
    /// <summary>A running job reported progress (TrainingProgressed, about once a second): only pages that show that job read again.</summary>
    TrainingProgress,
}

/// <summary>One object an event changed: its area, its domain and its id (a rollout, experiment, alert, job or dataset id) where it has them.</summary>
public sealed record ConsoleChange(ChangeArea Area, string? Domain, string? Id = null)
{
    public static readonly ConsoleChange Everything = new(ChangeArea.Everything, null);
}

/// <summary>Which objects each platform event changed: pure, so every mapping is unit-tested.</summary>
public static class ChangeMap
{
    /// <summary>The events the console listens to; the others (every chat's InferenceCompleted and FeedbackReceived, the router's
    /// RoutingWeightsUpdated) change figures the pages read on their slow poll.</summary>
    public static readonly IReadOnlyList<Type> Consumed =
    [
        typeof(AlertRaised), typeof(CanaryVerdict), typeof(DatasetReady), typeof(ExperimentConcluded), typeof(ExperimentTrafficChanged),
        typeof(ModelDeployed), typeof(RollbackPerformed), typeof(RouteTableChanged), typeof(TrainingCompleted), typeof(TrainingProgressed),
    ];

    /// <summary>
    /// The objects <paramref name="evt"/> changed. A route table names every domain: only the domains whose route differs from
    /// <paramref name="previousRoutes"/> (the last table seen, or none) changed.
    /// </summary>
    public static IReadOnlyList<ConsoleChange> From(IntegrationEvent evt, RouteTableChanged? previousRoutes = null) => evt switch
    {
        AlertRaised e => [new(ChangeArea.Alert, e.Domain, e.ExperimentId?.ToString())],
        CanaryVerdict e => [new(ChangeArea.Rollout, e.Domain, e.RolloutId.ToString())],
        RollbackPerformed e => [new(ChangeArea.Rollout, e.Domain, e.RolloutId?.ToString()), new(ChangeArea.Deployment, e.Domain)],
        ModelDeployed e => [new(ChangeArea.Deployment, e.Domain)],
        RouteTableChanged e => [.. RoutesChanged(previousRoutes, e).Select(domain => new ConsoleChange(ChangeArea.Deployment, domain))],
        ExperimentConcluded e => [new(ChangeArea.Experiment, e.Domain, e.ExperimentId.ToString())],
        ExperimentTrafficChanged e => [new(ChangeArea.Experiment, e.Domain, e.ExperimentId.ToString())],
        DatasetReady e => [new(ChangeArea.Dataset, e.Domain, e.DatasetId.ToString())],
        TrainingCompleted e => [new(ChangeArea.Training, e.Domain, e.JobId.ToString())],
        TrainingProgressed e => [new(ChangeArea.TrainingProgress, e.Domain, e.JobId.ToString())],
        _ => [],
    };

    /// <summary>The domains whose route is new, gone or different between two route tables (every one when there is no earlier table).</summary>
    public static IReadOnlyList<string> RoutesChanged(RouteTableChanged? previous, RouteTableChanged current)
    {
        // Routes hold lists, which records compare by reference: compared by their JSON instead.
        static Dictionary<string, string> ByDomain(RouteTableChanged? table) =>
            table?.Domains.ToDictionary(d => d.Domain, d => JsonSerializer.Serialize(d, JsonSerializerOptions.Web)) ?? [];
        var before = ByDomain(previous);
        var after = ByDomain(current);
        return [.. after.Where(a => !before.TryGetValue(a.Key, out var was) || was != a.Value).Select(a => a.Key)
            .Concat(before.Keys.Where(d => !after.ContainsKey(d))).Order(StringComparer.Ordinal)];
    }
}
