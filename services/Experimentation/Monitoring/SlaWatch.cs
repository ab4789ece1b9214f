using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Monitoring;

/// <summary>
/// A look of the monitor at every domain with SLA targets: each model version over the SLA's window ending now. A target
/// newly breached opens a violation (with its figures and reason) and raises an alert at Health:ViolationAlertLevel; a
/// target of an open violation judged met again closes it with an INFO alert. A version with too little traffic to
/// judge keeps its open violations as they are; one whose target the SLA no longer sets (accuracy) ends with an INFO alert.
/// </summary>
public sealed class SlaWatch(HealthStore store, HealthAnalyzer analyzer, IOptions<HealthOptions> options, TimeProvider clock)
{
    public async Task LookOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var open = (await store.ViolationsAsync(null, null, true, 100_000, ct)).ToLookup(v => (v.Domain, v.ModelVersion));
        foreach (var sla in await store.ListSlasAsync(ct))
        {
            var (from, until) = OutcomeMetrics.WindowEnding(now, sla.WindowSeconds);
            foreach (var version in await analyzer.AssessAsync(sla.Domain, null, sla.Targets, from, until, sla.WindowSeconds, ct))
            {
                var opened = open[(sla.Domain, version.ModelVersion)].ToDictionary(v => v.Target);
                foreach (var breach in version.Breaches.Where(b => !opened.ContainsKey(b.Target)))
                {
                    var requests = breach.Target == SlaTargetNames.Accuracy ? version.Figures.Judged : version.Figures.Requests;
                    var alert = new AlertRaised(Guid.CreateVersion7(), options.Value.ViolationAlertLevel, sla.Domain, null, SlaTargetNames.AlertMetric(breach.Target),
                        breach.Value, breach.Threshold, $"{sla.Domain} {version.ModelVersion}: SLA violated: {breach.Reason}", version.ModelVersion) { OccurredAt = now };
                    await store.OpenViolationAsync(new SlaViolationRow
                    {
                        Id = Guid.CreateVersion7(), Domain = sla.Domain, ModelVersion = version.ModelVersion, Target = breach.Target,
                        Value = breach.Value, Threshold = breach.Threshold, WindowSeconds = sla.WindowSeconds, Requests = requests,
                        Reason = breach.Reason, AlertId = alert.AlertId, StartedAt = now.UtcDateTime,
                    }, alert, ct);
                }
                // Met again, or no longer a target (an SLA without minAccuracy now): the violation ends.
                foreach (var part in version.Components.Where(c => (c.Met == true || c.Threshold is null) && opened.ContainsKey(c.Target)))
                {
                    var was = opened[part.Target];
                    var state = part.Threshold is null ? "is no longer an SLA target" : "is within the SLA again";
                    var alert = new AlertRaised(Guid.CreateVersion7(), AlertLevels.Info, sla.Domain, null, SlaTargetNames.AlertMetric(part.Target),
                        part.Value ?? 0, part.Threshold ?? 0,
                        $"{sla.Domain} {version.ModelVersion}: {part.Target} {state} (was {was.Reason})", version.ModelVersion) { OccurredAt = now };
                    await store.ResolveViolationAsync(was.Id, now.UtcDateTime, alert, ct);
                }
            }
        }
    }
}
