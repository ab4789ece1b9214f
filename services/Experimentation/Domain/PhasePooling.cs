using DomainPlatform.Experimentation.Data;
using DomainPlatform.Statistics;

namespace DomainPlatform.Experimentation.Domain;

/// <summary>A treatment against control on the primary metric, combined over every phase with data for both.</summary>
public sealed record PooledComparison(
    string Variant,
    string Metric,
    int Phases,
    double Difference,
    double StandardError,
    double PValue,
    Interval ConfidenceInterval);

/// <summary>
/// Cross-phase pooling: each phase compares its own arms (Welch's test, or the two-proportion test for rates), and
/// the per-phase differences are combined by inverse variance. A weight change between phases therefore cannot bias
/// the estimate, as pooling the raw counts would when the metric drifts over time (Simpson's paradox).
/// </summary>
public static class PhasePooling
{
    public static IReadOnlyList<PooledComparison> Combine(
        IReadOnlyList<Variant> variants, string primaryMetric, IReadOnlyList<AggregateRow> rows, double confidenceLevel)
    {
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentNullException.ThrowIfNull(rows);
        var metric = MetricCatalog.Find(primaryMetric) ?? throw new ArgumentException($"Unknown primary metric '{primaryMetric}'.", nameof(primaryMetric));
        if (variants.Count < 2) throw new ArgumentException("Pooling compares treatments with a control: two or more variants are needed.", nameof(variants));

        var control = variants[0].Name;
        var phases = rows.Select(r => r.Phase).Distinct().Order().ToArray();
        var pooled = new List<PooledComparison>();
        foreach (var treatment in variants.Skip(1).Select(v => v.Name))
        {
            var perPhase = new List<ComparisonResult>();
            foreach (var phase in phases)
            {
                var c = Find(rows, phase, control, metric.Name);
                var t = Find(rows, phase, treatment, metric.Name);
                // A phase where an arm had (almost) no traffic says nothing about this comparison.
                if (c is null || t is null || c.Count < 2 || t.Count < 2) continue;
                perPhase.Add(metric.IsRate
                    ? ProportionTest.Compare(new BinarySummary(c.Count, c.Successes), new BinarySummary(t.Count, t.Successes), confidenceLevel)
                    : WelchTest.Compare(ContinuousSummary.FromSums(c.Count, c.Sum, c.SumSquares), ContinuousSummary.FromSums(t.Count, t.Sum, t.SumSquares), confidenceLevel));
            }
            if (!perPhase.Any(p => p.StandardError > 0)) continue;
            var combined = PhaseCombination.InverseVariance(perPhase, confidenceLevel);
            pooled.Add(new PooledComparison(treatment, metric.Name, combined.Phases, combined.Estimate, combined.StandardError, combined.PValue, combined.ConfidenceInterval));
        }
        return pooled;
    }

    private static AggregateRow? Find(IReadOnlyList<AggregateRow> rows, int phase, string variant, string metric) =>
        rows.FirstOrDefault(r => r.Phase == phase && r.Variant == variant && r.Metric == metric);
}
