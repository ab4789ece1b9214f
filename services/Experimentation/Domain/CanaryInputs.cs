using DomainPlatform.Experimentation.Data;
using DomainPlatform.Statistics;

namespace DomainPlatform.Experimentation.Domain;

/// <summary>Builds the canary engine's inputs from aggregates by model version; pure so the choices are tested.</summary>
public static class CanaryInputs
{
    public const string Accuracy = "accuracy";
    public const string Latency = "latency";
    public const string ErrorRate = "error_rate";
    /// <summary>The absolute error-rate ceiling: reported as its own metric, judged only when the caller sets one.</summary>
    public const string ErrorRateCeiling = "error_rate_ceiling";
    public static readonly IReadOnlyList<string> Known = [Accuracy, Latency, ErrorRate];

    /// <summary>The metrics to judge, normalised; unknown names are returned separately. None asked means all.</summary>
    public static (IReadOnlyList<string> Metrics, IReadOnlyList<string> Unknown, bool Explicit) Select(IEnumerable<string> requested)
    {
        var names = requested.Select(Normalise).Where(n => n.Length > 0).Distinct().ToArray();
        if (names.Length == 0) return (Known, [], false);
        return (names.Where(Known.Contains).ToArray(), names.Where(n => !Known.Contains(n)).ToArray(), true);
    }

    /// <summary>
    /// One side's metrics. Accuracy needs feedback: when the caller did not ask for it by name it is judged only once
    /// the candidate has some, so a domain without feedback is not held forever.
    /// </summary>
    public static CanaryMetrics Metrics(IReadOnlyList<AggregateRow> rows, string version, IReadOnlyList<string> metrics, bool accuracyRequired, bool candidateHasAccuracy)
    {
        AggregateRow? Row(string metric) => rows.FirstOrDefault(r => r.ModelVersion == version && r.Metric == metric);
        MetricSummary? accuracy = null;
        if (metrics.Contains(Accuracy) && (accuracyRequired || candidateHasAccuracy))
        {
            var row = Row(MetricCatalog.Accuracy);
            accuracy = MetricSummary.Rate(row?.Count ?? 0, row?.Successes ?? 0);
        }
        ContinuousSummary? latency = null;
        if (metrics.Contains(Latency))
        {
            // End-to-end latency, the users' figure. Own latency (less the device time other models took while a request
            // was in flight) would spare a 1% canary the waits for the stable's steps, but it over-corrects: the stable's
            // own steps decode a full batch, the canary's a batch of one, so the co-located benchmark read a same-speed
            // canary of other weights at 0.45-0.84 of its stable by own latency (0.84-1.24 end to end), and a canary
            // slower per token would slip through. Own latency is reported beside the verdict.
            var row = Row(MetricCatalog.LatencyMs);
            latency = row is null ? ContinuousSummary.Empty : ContinuousSummary.FromSums(row.Count, row.Sum, row.SumSquares);
        }
        BinarySummary? errors = null;
        if (metrics.Contains(ErrorRate))
        {
            var row = Row(MetricCatalog.ErrorRate);
            errors = new BinarySummary(row?.Count ?? 0, row?.Successes ?? 0);
        }
        return new CanaryMetrics(accuracy, latency, errors);
    }

    /// <summary>Mean of one side's metric (own latency, for the note beside the verdict); null without samples.</summary>
    public static double? Mean(IReadOnlyList<AggregateRow> rows, string version, string metric) =>
        rows.FirstOrDefault(r => r.ModelVersion == version && r.Metric == metric) is { Count: > 0 } row ? row.Sum / row.Count : null;

    /// <summary>
    /// Unset keeps the platform default for each threshold: null for the accuracy drop and the error-rate increase
    /// (where 0, nothing tolerated, is a real setting), zero (proto3's "unset") for the others, which cannot be 0. The
    /// platform default for the absolute error-rate ceiling is none (1).
    /// </summary>
    public static CanaryThresholds Thresholds(double? maxAccuracyDrop, double maxLatencyRatio, double maxErrorRate, int minSamples, double? maxErrorRateIncrease = null)
    {
        var defaults = new CanaryThresholds();
        return defaults with
        {
            MaxAccuracyRelativeDrop = maxAccuracyDrop ?? defaults.MaxAccuracyRelativeDrop,
            MaxLatencyRatio = maxLatencyRatio != 0 ? maxLatencyRatio : defaults.MaxLatencyRatio,
            MaxErrorRate = maxErrorRate != 0 ? maxErrorRate : defaults.MaxErrorRate,
            MaxErrorRateIncrease = maxErrorRateIncrease ?? defaults.MaxErrorRateIncrease,
            MinimumSamples = minSamples != 0 ? minSamples : defaults.MinimumSamples,
        };
    }

    /// <summary>The wire name of one of the engine's metrics.</summary>
    public static string KeyOf(string engineMetric) => engineMetric switch
    {
        CanaryVerdict.ErrorRateMetric => ErrorRate,
        CanaryVerdict.ErrorRateCeilingMetric => ErrorRateCeiling,
        var other => other,
    };

    /// <summary>A domain's requests and the ones its models served themselves (latency samples), all versions together.</summary>
    public static (long Requests, long Served) Traffic(IEnumerable<AggregateRow> rows)
    {
        var list = rows.ToList();
        return (list.Where(r => r.Metric == MetricCatalog.ErrorRate).Sum(r => r.Count), list.Where(r => r.Metric == MetricCatalog.LatencyMs).Sum(r => r.Count));
    }

    /// <summary>Samples behind one metric of one side.</summary>
    public static long Samples(CanaryMetrics side, string metric) => metric switch
    {
        "accuracy" => side.Accuracy?.Count ?? 0,
        "latency" => side.Latency?.Count ?? 0,
        _ => side.Errors?.Trials ?? 0,
    };

    private static string Normalise(string name) => name.Trim().ToLowerInvariant().Replace('-', '_').Replace(' ', '_') switch
    {
        "latency_ms" => Latency,
        "errors" or "error" => ErrorRate,
        var other => other,
    };
}
