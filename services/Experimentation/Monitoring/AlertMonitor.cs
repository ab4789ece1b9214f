using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Apis;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Monitoring;

/// <summary>
/// Every interval: error rate and latency of each domain and model version over the window, against the level ladder
/// (an alert when a level changes); and the guardrails of running experiments, stopping those that breach one.
/// </summary>
public sealed partial class AlertMonitor(
    IOptions<MonitoringOptions> options, MonitorControl control, MetricStore metrics, AlertStore alerts,
    ExperimentStore experiments, ExperimentAnalyzer analyzer, TimeProvider clock, ILogger<AlertMonitor> logger) : BackgroundService
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
            if (AlertRules.Decide(domain, row.ModelVersion, row.Metric, value, previous, o) is not { } decision) continue;
            await alerts.RaiseAsync(new AlertRaised(Guid.CreateVersion7(), decision.Level, domain, null, row.Metric, value, decision.Threshold, decision.Message),
                row.ModelVersion, ct);
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
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitoring look failed, trying again next interval: {Reason}")]
    private partial void LogLookFailed(string reason);
}
