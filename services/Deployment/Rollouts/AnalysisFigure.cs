using DomainPlatform.Deployment.Domain;
using DomainPlatform.Protos.Experimentation;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// One metric of a canary analysis as recorded with the decision it led to. A figure the analysis could not compute
/// (experimentation sends NaN, e.g. no p-value below the minimum samples, no baseline to compare with) is null:
/// JSON has no NaN, and an unwritable figure must not keep the decision from being recorded.
/// </summary>
public sealed record AnalysisFigure(
    string Metric, double? Baseline, double? Candidate, long BaselineSamples, long CandidateSamples, double? PValue, bool Breached, string Note,
    string? LimitName = null, double? Limit = null)
{
    /// <summary>The limit is absent (empty, 0) from an analysis that does not name one.</summary>
    public static IReadOnlyList<AnalysisFigure> From(IEnumerable<MetricComparison> metrics) =>
        metrics.Select(m => new AnalysisFigure(
            m.Metric, Finite(m.Baseline), Finite(m.Candidate), m.BaselineSamples, m.CandidateSamples, Finite(m.PValue), m.Breached, m.Note,
            m.LimitName.Length > 0 ? m.LimitName : null, m.LimitName.Length > 0 ? Finite(m.Limit) : null)).ToList();

    public static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>The figure as the rollback rules read it.</summary>
    public CheckFigure ToCheck() => new(Metric, Baseline, Candidate, BaselineSamples, CandidateSamples, LimitName, Limit);
}
