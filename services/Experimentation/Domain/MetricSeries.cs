namespace DomainPlatform.Experimentation.Domain;

/// <summary>The metrics a series, a ranking or a report trend reads, and which way is better for each.</summary>
public static class SeriesMetrics
{
    public const string Requests = "requests";
    public const string Throughput = "throughput";
    public const string ErrorRate = "error_rate";
    public const string LatencyMean = "latency_mean_ms";
    public const string LatencyP50 = "latency_p50_ms";
    public const string LatencyP95 = "latency_p95_ms";
    public const string LatencyP99 = "latency_p99_ms";
    public const string Accuracy = "accuracy";
    public const string CostPerRequest = "cost_per_request";
    public const string Cost = "cost";

    public static readonly IReadOnlyList<string> All =
        [Requests, Throughput, ErrorRate, LatencyMean, LatencyP50, LatencyP95, LatencyP99, Accuracy, CostPerRequest, Cost];

    public static bool HigherIsBetter(string metric) => metric is Requests or Throughput or Accuracy;

    /// <summary>A metric's value over a window and the samples behind it (null without samples; requests, throughput and cost read 0).</summary>
    public static (double? Value, long Samples) Read(string metric, WindowFigures f) => metric switch
    {
        Requests => (f.Requests, f.Requests),
        Throughput => (f.ThroughputPerSecond, f.Requests),
        ErrorRate => (f.ErrorRate, f.Requests),
        LatencyMean => (f.Latency.MeanMs, f.Latency.Count),
        LatencyP50 => (f.Latency.P50Ms, f.Latency.Count),
        LatencyP95 => (f.Latency.P95Ms, f.Latency.Count),
        LatencyP99 => (f.Latency.P99Ms, f.Latency.Count),
        Accuracy => (f.Accuracy, f.Judged),
        CostPerRequest => (f.Cost.CostPerRequest, f.Cost.PricedRequests),
        Cost => (f.Cost.TotalCost, f.Cost.PricedRequests),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Not a series metric."),
    };
}

/// <summary>One slot of a series: its start, the metric's value over the slot (null without samples) and the samples behind it.</summary>
public sealed record SeriesPoint(DateTime Start, double? Value, long Samples);

public static class TrendDirections
{
    public const string Rising = "rising";
    public const string Falling = "falling";
    public const string Flat = "flat";
    public const string InsufficientData = "insufficient-data";
}

/// <summary>
/// The trend of a series: the least-squares slope of value over time (per hour), the change it fits over the series'
/// span, the means of the first and second half of the points with values and their change, and a direction.
/// <see cref="Improving"/> says whether the direction is for the better (null when flat or without data).
/// </summary>
public sealed record SeriesTrend(string Direction, int Points, double? SlopePerHour, double? FittedChange,
    double? FirstHalfMean, double? SecondHalfMean, double? HalfChange, double? RelativeHalfChange, bool? Improving);

/// <summary>Time series at a resolution and their trends; pure.</summary>
public static class MetricSeries
{
    /// <summary>A fitted change within this share of the series' mean absolute value reads as flat.</summary>
    public const double FlatShare = 0.01;

    /// <summary>
    /// The slots of <paramref name="resolutionSeconds"/> from <paramref name="from"/> to <paramref name="until"/> (every slot,
    /// with or without traffic), each summarised from its buckets and merged histogram bins exactly as a window of that
    /// length (<see cref="WindowSummary.Summarise"/>), and the metric read from it.
    /// </summary>
    public static IReadOnlyList<SeriesPoint> Build(IEnumerable<BucketCounts> buckets, IEnumerable<HistogramCount> bins, DateTime from, DateTime until,
        int resolutionSeconds, string metric, TokenPrice price, string currency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resolutionSeconds);
        var width = TimeSpan.FromSeconds(resolutionSeconds);
        DateTime SlotOf(DateTime bucket) => from + (bucket - from).Ticks / width.Ticks * width;
        var bySlot = buckets.Where(b => b.Bucket >= from && b.Bucket < until).ToLookup(b => SlotOf(b.Bucket));
        var binsBySlot = bins.Where(b => b.Bucket >= from && b.Bucket < until).ToLookup(b => SlotOf(b.Bucket));
        var points = new List<SeriesPoint>();
        for (var slot = from; slot < until; slot += width)
        {
            var figures = WindowSummary.Summarise(bySlot[slot], binsBySlot[slot], resolutionSeconds, price, currency);
            var (value, samples) = SeriesMetrics.Read(metric, figures);
            points.Add(new SeriesPoint(slot, value, samples));
        }
        return points;
    }

    /// <summary>
    /// The trend of the points with a value. Slope: ordinary least squares of value on time in hours. Fitted change: slope
    /// × the hours from the first to the last such point. Halves: the first ⌊n/2⌋ and the last ⌊n/2⌋ points (the middle one
    /// of an odd n in neither); half change = second mean − first mean, relative to |first mean| when that is not 0.
    /// Direction: insufficient-data under 2 points; flat when |fitted change| ≤ 1% of the mean |value| (or both are 0);
    /// else rising or falling by the slope's sign.
    /// </summary>
    public static SeriesTrend Trend(IEnumerable<SeriesPoint> series, bool higherIsBetter)
    {
        var points = series.Where(p => p.Value is { } v && double.IsFinite(v)).OrderBy(p => p.Start).ToArray();
        var n = points.Length;
        if (n < 2) return new SeriesTrend(TrendDirections.InsufficientData, n, null, null, null, null, null, null, null);
        var origin = points[0].Start;
        var x = points.Select(p => (p.Start - origin).TotalHours).ToArray();
        var y = points.Select(p => p.Value!.Value).ToArray();
        double meanX = x.Average(), meanY = y.Average(), sxy = 0, sxx = 0;
        for (var i = 0; i < n; i++)
        {
            sxy += (x[i] - meanX) * (y[i] - meanY);
            sxx += (x[i] - meanX) * (x[i] - meanX);
        }
        var slope = sxy / sxx;
        var fitted = slope * (x[^1] - x[0]);
        var half = n / 2;
        var first = y.Take(half).Average();
        var second = y.Skip(n - half).Average();
        var change = second - first;
        double? relative = first != 0 ? change / Math.Abs(first) : null;
        var scale = y.Average(Math.Abs);
        var direction = Math.Abs(fitted) <= FlatShare * scale ? TrendDirections.Flat
            : slope > 0 ? TrendDirections.Rising : TrendDirections.Falling;
        bool? improving = direction == TrendDirections.Flat ? null : (direction == TrendDirections.Rising) == higherIsBetter;
        return new SeriesTrend(direction, n, slope, fitted, first, second, change, relative, improving);
    }
}
