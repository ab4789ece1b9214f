using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Apis;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Monitoring;

/// <summary>
/// Every interval: error rate and latency of each domain and model version over the window, against the level ladder
/// (an alert when a level changes) and their forecasts (<see cref="EarlyWarnings"/>); the guardrails of running experiments, stopping those that breach one; and their
/// criteria: a failure rolls back, the planned duration concludes; and each domain's SLA targets (<see cref="SlaWatch"/>).
/// </summary>
public sealed partial class AlertMonitor(
    IOptions<MonitoringOptions> options, MonitorControl control, MetricStore metrics, AlertStore alerts,
    ExperimentStore experiments, ExperimentAnalyzer analyzer, SlaWatch slaWatch, EarlyWarnings earlyWarnings, TimeProvider clock,
    ILogger<AlertMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.IntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
                if (await control.IsPausedAsync() || !await control.TryLeaseAsync(interval)) continue;
                await LookOnceAsync(stoppingToken);
                control.MarkRun(clock.GetUtcNow().UtcDateTime);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A dependency being down must not end monitoring: the next interval tries again.
                LogLookFailed(ex.Message);
            }
        }
    }

    public async Task LookOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var since = OutcomeMetrics.FirstBucketFrom(clock.GetUtcNow() - TimeSpan.FromSeconds(o.WindowSeconds));
        var levels = await alerts.LevelsAsync(ct);
        foreach (var (domain, row) in await metrics.AllSinceAsync(since, ct))
        {
            if (row.Metric is not (MetricCatalog.ErrorRate or MetricCatalog.LatencyMs) || row.Count < o.MinimumSamples) continue;
            var value = row.Metric == MetricCatalog.ErrorRate ? (double)row.Successes / row.Count : row.Mean;
            var previous = levels.GetValueOrDefault((domain, row.ModelVersion, row.Metric));
            if (AlertRules.Decide(domain, row.ModelVersion, row.Metric, value, previous, o) is { } decision)
            {
                await alerts.RaiseAsync(new AlertRaised(Guid.CreateVersion7(), decision.Level, domain, null, row.Metric, value, decision.Threshold, decision.Message, row.ModelVersion),
                    row.ModelVersion, ct);
            }

            var forecastMetric = EarlyWarnings.ForecastMetric(row.Metric);
            if (earlyWarnings.Observe(domain, row.ModelVersion, row.Metric, value, levels.GetValueOrDefault((domain, row.ModelVersion, forecastMetric)), o) is { } warning)
            {
                // The event names no model version: a forecast is news for people, deployment moves no traffic on it.
                await alerts.RaiseAsync(new AlertRaised(Guid.CreateVersion7(), warning.Level, domain, null, forecastMetric, value, warning.Threshold, warning.Message),
                    row.ModelVersion, ct);
            }
        }

        foreach (var experiment in await experiments.ListAsync(ExperimentStatus.Running, null, ct))
        {
            if (!experiment.StopOnGuardrail || experiment.Guardrails.Count == 0) continue;
            if (await analyzer.AnalyzeAsync(experiment.Id, ct) is not { Result.Outcome: AnalysisOutcomes.GuardrailBreached } analysed) continue;
            var reason = analysed.Result.Reason;
            await experiments.MutateAsync(experiment.Id, (row, _) => ExperimentRules.Refusal(row.Status, "stop") is { } why
                ? ChangeDecision.Refuse(why)
                : new ExperimentChange("stopped", $"guardrail breached, stopped by the monitor: {reason}")
                {
                    Status = ExperimentStatus.Stopped, Outcome = AnalysisOutcomes.GuardrailBreached, Reason = reason,
                    Events =
                    [
                        new ExperimentConcluded(row.Id, row.Domain, AnalysisOutcomes.GuardrailBreached, null, null, false, reason),
                        new AlertRaised(Guid.CreateVersion7(), AlertLevels.Critical, row.Domain, row.Id, "guardrail", 1, 0,
                            $"Experiment '{row.Name}' stopped: {reason}"),
                    ],
                }, ct);
        }

        foreach (var experiment in await experiments.ListAsync(ExperimentStatus.Running, null, ct))
        {
            if (experiment.Criteria.NeedsWatching) await ApplyCriteriaAsync(experiment, ct);
        }

        await slaWatch.LookOnceAsync(ct);
    }

    /// <summary>Failure criteria roll a running experiment back; at its planned duration it concludes with its decision.</summary>
    private async Task ApplyCriteriaAsync(ExperimentRow experiment, CancellationToken ct)
    {
        (ExperimentRow Experiment, AnalysisResult Result) analysed;
        try
        {
            if (await analyzer.AnalyzeAsync(experiment.Id, ct) is not { } found) return;
            analysed = found;
        }
        catch (ArgumentException ex)
        {
            LogCannotAnalyse(experiment.Id, ex.Message);
            return;
        }
        var row = analysed.Experiment;
        var arms = ExperimentCriteriaRules.Health(row.Variants, await metrics.ForExperimentAsync(row.Id, row.Phase, ct), await metrics.ErrorStreaksAsync(row.Id, row.Phase, ct));
        var running = row.StartedAt is { } started ? (clock.GetUtcNow().UtcDateTime - started).TotalSeconds : 0;
        var higherIsBetter = MetricCatalog.Find(row.PrimaryMetric)?.HigherIsBetter ?? true;
        var decision = ExperimentCriteriaRules.Evaluate(row.Criteria, row.Variants, arms, analysed.Result, higherIsBetter, row.MinSamples, running);
        switch (decision.Action)
        {
            case CriteriaAction.RollBack:
                await experiments.MutateAsync(row.Id, (current, _) => ExperimentRules.Refusal(current.Status, "rollback") is { } why
                    ? ChangeDecision.Refuse(why)
                    : ExperimentsApi.RollbackChange(current, decision.Reason) with
                    {
                        Events =
                        [
                            .. ExperimentsApi.RollbackChange(current, decision.Reason).Events,
                            new AlertRaised(Guid.CreateVersion7(), AlertLevels.Critical, current.Domain, current.Id, "failure-criteria", 1, 0,
                                $"Experiment '{current.Name}' rolled back: {decision.Reason}"),
                        ],
                    }, ct);
                break;
            case CriteriaAction.Conclude:
                await experiments.MutateAsync(row.Id, (current, _) =>
                {
                    if (ExperimentRules.Refusal(current.Status, "conclude") is { } why) return ChangeDecision.Refuse(why);
                    if (current.Phase != row.Phase) return ChangeDecision.Refuse("A new phase started during the analysis.");
                    return new ExperimentChange("concluded", $"concluded by itself: {decision.Reason}")
                    {
                        Status = ExperimentStatus.Concluded, Outcome = decision.Outcome, Winner = decision.Winner, Reason = decision.Reason,
                        Events = [new ExperimentConcluded(current.Id, current.Domain, decision.Outcome, decision.Winner, decision.WinnerModelVersion,
                            current.DeployWinner && decision.Winner is not null, decision.Reason)],
                    };
                }, ct);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {ExperimentId} cannot be analysed for its criteria: {Reason}")]
    private partial void LogCannotAnalyse(Guid experimentId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitoring look failed, trying again next interval: {Reason}")]
    private partial void LogLookFailed(string reason);
}
