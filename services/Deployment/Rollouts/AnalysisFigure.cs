using DomainPlatform.Protos.Experimentation;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// One metric of a canary analysis as recorded with the decision it led to. A figure the analysis could not compute
/// (experimentation sends NaN, e.g. no p-value below the minimum samples, no baseline to compare with) is null:
/// JSON has no NaN, and an unwritable figure must not keep the decision from being recorded.
/// </summary>
public sealed record AnalysisFigure(
    string Metric, double? Baseline, double? Candidate, long BaselineSamples, long CandidateSamples, double? PValue, bool Breached, string Note)
{
    public static IReadOnlyList<AnalysisFigure> From(IEnumerable<MetricComparison> metrics) =>
        metrics.Select(m => new AnalysisFigure(
            m.Metric, Finite(m.Baseline), Finite(m.Candidate), m.BaselineSamples, m.CandidateSamples, Finite(m.PValue), m.Breached, m.Note)).ToList();

    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
