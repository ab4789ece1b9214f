namespace DomainPlatform.Experimentation.Domain;

/// <summary>One variant and model version's outcome counts in one 10-second bucket (summed over experiments and phases).</summary>
public sealed record BucketCounts
{
    public string Domain { get; init; } = "";
    public string Variant { get; init; } = "";
    public string ModelVersion { get; init; } = "";
    public DateTime Bucket { get; init; }
    /// <summary>Requests counted (error_rate's count): every outcome but a client's own mistake.</summary>
    public long Requests { get; init; }
    public long Errors { get; init; }
    /// <summary>Requests that ran the model and succeeded (latency_ms's count).</summary>
    public long Served { get; init; }
    public double LatencySum { get; init; }
    public long Judged { get; init; }
    public long Correct { get; init; }
    /// <summary>Requests with token counts (tokens_in's count).</summary>
    public long Priced { get; init; }
    public double TokensIn { get; init; }
    public double TokensOut { get; init; }
}

/// <summary>One bin of one variant and model version's latency histogram in one bucket.</summary>
public sealed record HistogramCount
{
    public string Domain { get; init; } = "";
    public string Variant { get; init; } = "";
    public string ModelVersion { get; init; } = "";
    public DateTime Bucket { get; init; }
    public int Bin { get; init; }
    public long Count { get; init; }
}

/// <summary>Prices per 1000 tokens (prompt and completion) in the configured currency.</summary>
public sealed record TokenPrice(double PromptPer1kTokens, double CompletionPer1kTokens);

public sealed record LatencyFigures(long Count, double? MeanMs, double? P50Ms, double? P95Ms, double? P99Ms, double RelativeError);

public sealed record CostFigures(
    long PricedRequests, double? MeanTokensIn, double? MeanTokensOut, double PromptPricePer1kTokens, double CompletionPricePer1kTokens,
    double? CostPerRequest, double TotalCost, string Currency);

/// <summary>What a group (a variant and version, or a version) did over a window.</summary>
public sealed record WindowFigures(
    long Requests, long Errors, double? ErrorRate, double ThroughputPerSecond,
    int IntervalsWithTraffic, int IntervalsDown, double? Availability,
    long Judged, long Correct, double? Accuracy,
    LatencyFigures Latency, CostFigures Cost);

/// <summary>Figures of a window from its buckets; pure, so each definition is unit-tested.</summary>
public static class WindowSummary
{
    /// <summary>
    /// Throughput is requests / the window's length in seconds. Error rate is errors / requests. Availability is the
    /// share of the window's 10-second intervals with traffic in which at least one request succeeded (an interval whose
    /// every request failed is down). Accuracy is correct / judged responses. Latency: mean, and p50/p95/p99 from the
    /// merged histograms (within <see cref="LatencyHistogram.RelativeError"/> of the exact nearest-rank percentiles).
    /// Cost per request is (mean prompt tokens × prompt price + mean completion tokens × completion price) / 1000 over
    /// the requests that ran the model; total cost is the same over all their tokens.
    /// </summary>
    public static WindowFigures Summarise(IEnumerable<BucketCounts> buckets, IEnumerable<HistogramCount> bins, double windowSeconds,
        TokenPrice price, string currency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowSeconds);
        var rows = buckets.ToArray();
        long requests = 0, errors = 0, served = 0, judged = 0, correct = 0, priced = 0;
        double latencySum = 0, tokensIn = 0, tokensOut = 0;
        foreach (var r in rows)
        {
            requests += r.Requests; errors += r.Errors; served += r.Served; latencySum += r.LatencySum;
            judged += r.Judged; correct += r.Correct; priced += r.Priced; tokensIn += r.TokensIn; tokensOut += r.TokensOut;
        }
        var intervals = rows.GroupBy(r => r.Bucket).Select(g => (Requests: g.Sum(r => r.Requests), Errors: g.Sum(r => r.Errors)))
            .Where(i => i.Requests > 0).ToArray();
        var down = intervals.Count(i => i.Errors >= i.Requests);
        var histogram = new Dictionary<int, long>();
        foreach (var b in bins) LatencyHistogram.Merge(histogram, b.Bin, b.Count);
        var latency = new LatencyFigures(served, served > 0 ? latencySum / served : null,
            LatencyHistogram.Percentile(histogram, 50), LatencyHistogram.Percentile(histogram, 95), LatencyHistogram.Percentile(histogram, 99),
            LatencyHistogram.RelativeError);
        var total = (tokensIn * price.PromptPer1kTokens + tokensOut * price.CompletionPer1kTokens) / 1000;
        var cost = new CostFigures(priced, priced > 0 ? tokensIn / priced : null, priced > 0 ? tokensOut / priced : null,
            price.PromptPer1kTokens, price.CompletionPer1kTokens, priced > 0 ? total / priced : null, total, currency);
        return new WindowFigures(requests, errors, requests > 0 ? (double)errors / requests : null, requests / windowSeconds,
            intervals.Length, down, intervals.Length > 0 ? 1 - (double)down / intervals.Length : null,
            judged, correct, judged > 0 ? (double)correct / judged : null, latency, cost);
    }
}
