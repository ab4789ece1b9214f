using CsCheck;
using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class LatencyHistogramTests
{
    private static Dictionary<int, long> Binned(IEnumerable<double> samples)
    {
        var bins = new Dictionary<int, long>();
        foreach (var s in samples) LatencyHistogram.Merge(bins, LatencyHistogram.BinOf(s), 1);
        return bins;
    }

    [Fact]
    public void Percentiles_are_within_the_stated_relative_error_of_the_exact_nearest_rank_ones()
    {
        // Latencies from 0 to a minute, skewed like real ones (log-uniform), in samples of 1 to 2000.
        var latency = Gen.Frequency((1, Gen.Const(0.0)), (30, Gen.Double[-3, 4.8].Select(e => Math.Pow(10, e))));
        latency.Array[1, 2000].Sample(samples =>
        {
            var bins = Binned(samples);
            foreach (var p in new[] { 50.0, 95.0, 99.0 })
            {
                var exact = LatencyHistogram.ExactPercentile(samples, p);
                var read = LatencyHistogram.Percentile(bins, p)!.Value;
                var bound = exact < LatencyHistogram.SmallestMs ? LatencyHistogram.SmallestMs : LatencyHistogram.RelativeError * exact * (1 + 1e-9);
                if (Math.Abs(read - exact) > bound) throw new InvalidOperationException($"p{p}: read {read}, exact {exact}");
            }
        }, iter: 500);
    }

    [Fact]
    public void Buckets_merge_to_the_histogram_of_all_their_samples()
    {
        double[] first = [12, 15, 300, 7.5], second = [40, 41, 42, 9000];
        var merged = Binned(first);
        foreach (var (bin, count) in Binned(second)) LatencyHistogram.Merge(merged, bin, count);
        Assert.Equal(Binned(first.Concat(second)).OrderBy(b => b.Key), merged.OrderBy(b => b.Key));
    }

    [Fact]
    public void A_known_sample_reads_its_nearest_rank_percentiles()
    {
        // 1..100 ms: p50 is the 50th value, p95 the 95th, p99 the 99th; each read within 1%.
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        var bins = Binned(samples);
        Assert.Equal(50, LatencyHistogram.ExactPercentile(samples, 50));
        Assert.Equal(50, LatencyHistogram.Percentile(bins, 50)!.Value, 50 * 0.01);
        Assert.Equal(95, LatencyHistogram.Percentile(bins, 95)!.Value, 95 * 0.01);
        Assert.Equal(99, LatencyHistogram.Percentile(bins, 99)!.Value, 99 * 0.01);
        Assert.Null(LatencyHistogram.Percentile(new Dictionary<int, long>(), 50));
        Assert.Equal(0, LatencyHistogram.ValueOf(LatencyHistogram.BinOf(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencyHistogram.BinOf(double.NaN));
    }
}

public sealed class WindowSummaryTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_known_window_gives_exact_figures()
    {
        BucketCounts[] buckets =
        [
            // 10 requests, 1 error, in the first interval; 4 requests all failed in the second (down); 6 fine in the third.
            new() { ModelVersion = "1", Bucket = T0, Requests = 10, Errors = 1, Served = 9, LatencySum = 900, Judged = 4, Correct = 3, Priced = 9, TokensIn = 900, TokensOut = 1800 },
            new() { ModelVersion = "1", Bucket = T0.AddSeconds(10), Requests = 4, Errors = 4 },
            new() { ModelVersion = "1", Bucket = T0.AddSeconds(20), Requests = 6, Served = 6, LatencySum = 1200, Priced = 6, TokensIn = 600, TokensOut = 1200 },
        ];
        var f = WindowSummary.Summarise(buckets, [], 60, new TokenPrice(0.5, 1.5), "EUR");
        Assert.Equal((20L, 5L, 0.25), (f.Requests, f.Errors, f.ErrorRate!.Value));
        Assert.Equal(20.0 / 60, f.ThroughputPerSecond, 12);
        Assert.Equal((3, 1), (f.IntervalsWithTraffic, f.IntervalsDown));
        Assert.Equal(2.0 / 3, f.Availability!.Value, 12);
        Assert.Equal(0.75, f.Accuracy!.Value, 12);
        Assert.Equal(140, f.Latency.MeanMs!.Value, 9);
        Assert.Null(f.Latency.P95Ms);
        // 1500 prompt tokens at 0.5 and 3000 completion tokens at 1.5 per 1000: 0.75 + 4.5 = 5.25, over 15 runs.
        Assert.Equal(5.25, f.Cost.TotalCost, 12);
        Assert.Equal(0.35, f.Cost.CostPerRequest!.Value, 12);
        Assert.Equal(("EUR", 100.0, 200.0), (f.Cost.Currency, f.Cost.MeanTokensIn!.Value, f.Cost.MeanTokensOut!.Value));
    }

    [Fact]
    public void Prices_for_a_version_beat_the_domains_which_beat_the_defaults()
    {
        var o = new CostOptions
        {
            PromptPricePer1kTokens = 1, CompletionPricePer1kTokens = 2,
            Prices = [new() { Domain = "law", PromptPricePer1kTokens = 3, CompletionPricePer1kTokens = 4 }, new() { Domain = "law", ModelVersion = "2.0.0", PromptPricePer1kTokens = 5, CompletionPricePer1kTokens = 6 }],
        };
        Assert.Null(o.Problem());
        Assert.Equal(new TokenPrice(5, 6), o.PriceFor("law", "2.0.0"));
        Assert.Equal(new TokenPrice(3, 4), o.PriceFor("law", "1.0.0"));
        Assert.Equal(new TokenPrice(1, 2), o.PriceFor("tax", "2.0.0"));
        Assert.NotNull(new CostOptions { PromptPricePer1kTokens = -1 }.Problem());
        Assert.NotNull(new CostOptions { Prices = [new() { Domain = "" }] }.Problem());
        Assert.NotNull(new CostOptions { Prices = [new() { Domain = "a" }, new() { Domain = "a" }] }.Problem());
    }
}
