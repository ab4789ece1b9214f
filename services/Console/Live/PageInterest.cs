namespace DomainPlatform.Console.Live;

/// <summary>
/// Which changes each page reads again for (its <c>Shows</c>), in one place and pure, so each is unit-tested. Every page
/// also reads again on <see cref="ChangeArea.Everything"/> and on its slow poll (docs/console.md says what only the poll covers).
/// </summary>
public static class PageInterest
{
    /// <summary>The overview, a domain, alerts and the audit log: every change but a running job's progress reports.</summary>
    public static bool Default(ConsoleChange change) => change.Area != ChangeArea.TrainingProgress;

    /// <summary>Rollouts: their steps and verdicts, rollbacks, deployments and route changes, and alerts (which roll back).</summary>
    public static bool Rollouts(ConsoleChange change) => change.Area is ChangeArea.Rollout or ChangeArea.Deployment or ChangeArea.Alert;

    /// <summary>Experiments: their traffic and conclusions, and the alerts raised about an experiment (guardrails).</summary>
    public static bool Experiments(ConsoleChange change) =>
        change.Area == ChangeArea.Experiment || change.Area == ChangeArea.Alert && change.Id is not null;

    /// <summary>Extraction: a dataset became ready.</summary>
    public static bool Extraction(ConsoleChange change) => change.Area == ChangeArea.Dataset;

    /// <summary>
    /// Training: a job ended, or a dataset queued one (the list changes); a job's progress only for the job shown and for a
    /// job the list did not show running yet (its row changes state).
    /// </summary>
    public static bool Training(ConsoleChange change, string? shownJobId, IReadOnlyDictionary<string, string> listedStates) => change.Area switch
    {
        ChangeArea.Training or ChangeArea.Dataset => true,
        ChangeArea.TrainingProgress => change.Id is null || change.Id == shownJobId
            || !listedStates.TryGetValue(change.Id, out var state) || state != "running",
        _ => false,
    };
}
