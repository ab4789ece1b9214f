namespace DomainPlatform.Experimentation.Domain;

/// <summary>A domain's model version over a window: its health and figures, and the routes it served on (stable, canary, arms).</summary>
public sealed record RankedVersion(string Domain, string ModelVersion, IReadOnlyList<string> Routes, double? HealthScore, string SlaState,
    double? Value, long Samples, WindowFigures Figures)
{
    /// <summary>The SLA targets breached over the window.</summary>
    public IReadOnlyList<SlaBreach> Breaches { get; init; } = [];
}

public sealed record RankingEntry(int Rank, RankedVersion Version);

/// <summary>Orders versions across domains; pure.</summary>
public static class MetricRanking
{
    public const string Health = "health";

    public static IReadOnlyList<string> Metrics { get; } = [Health, .. SeriesMetrics.All];

    public static bool HigherIsBetter(string metric) => metric == Health || SeriesMetrics.HigherIsBetter(metric);

    /// <summary>
    /// Best first by the value (health score, or the metric: higher first for health, requests, throughput and accuracy,
    /// lower first for the rest); versions without a value last; ties share a rank (1, 1, 3) and are listed by domain and version.
    /// </summary>
    public static IReadOnlyList<RankingEntry> Rank(IEnumerable<RankedVersion> versions, string metric)
    {
        var higher = HigherIsBetter(metric);
        var ordered = versions
            .OrderBy(v => v.Value is null)
            .ThenBy(v => v.Value is { } x ? (higher ? -x : x) : 0)
            .ThenBy(v => v.Domain, StringComparer.Ordinal).ThenBy(v => v.ModelVersion, StringComparer.Ordinal)
            .ToArray();
        var entries = new List<RankingEntry>(ordered.Length);
        for (var i = 0; i < ordered.Length; i++)
        {
            var rank = i > 0 && ordered[i].Value == ordered[i - 1].Value ? entries[i - 1].Rank : i + 1;
            entries.Add(new RankingEntry(rank, ordered[i]));
        }
        return entries;
    }
}
