using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class MetricSeriesTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static SeriesPoint P(int minutes, double? value, long samples = 1) => new(T0.AddMinutes(minutes), value, samples);

    [Fact]
    public void A_line_has_its_slope_per_hour_and_half_change()
    {
        // 10, 12, 14, 16 at 0, 30, 60, 90 minutes: 4 per hour, fitted change 6 over 1.5 h; halves 11 and 15.
        var t = MetricSeries.Trend([P(0, 10), P(30, 12), P(60, 14), P(90, 16)], higherIsBetter: false);
        Assert.Equal(TrendDirections.Rising, t.Direction);
        Assert.Equal(4, t.SlopePerHour!.Value, 12);
        Assert.Equal(6, t.FittedChange!.Value, 12);
        Assert.Equal((11.0, 15.0, 4.0), (t.FirstHalfMean!.Value, t.SecondHalfMean!.Value, t.HalfChange!.Value));
        Assert.Equal(4.0 / 11, t.RelativeHalfChange!.Value, 12);
        Assert.False(t.Improving);
        Assert.Equal(4, t.Points);
    }

    [Fact]
    public void Points_without_a_value_are_left_out_and_the_middle_of_an_odd_count_is_in_neither_half()
    {
        var t = MetricSeries.Trend([P(0, 10), P(10, null, 0), P(20, 12), P(40, 0)], higherIsBetter: true);
        // x = 0, 1/3, 2/3 h; y = 10, 12, 0: slope = -10 / (2/3) · ... = -15 per hour, fitted -10.
        Assert.Equal(-15, t.SlopePerHour!.Value, 9);
        Assert.Equal(-10, t.FittedChange!.Value, 9);
        Assert.Equal((10.0, 0.0, -1.0), (t.FirstHalfMean!.Value, t.SecondHalfMean!.Value, t.RelativeHalfChange!.Value));
        Assert.Equal(TrendDirections.Falling, t.Direction);
        Assert.False(t.Improving);
        Assert.Equal(3, t.Points);
    }

    [Fact]
    public void Small_changes_are_flat_and_one_point_is_not_a_trend()
    {
        var flat = MetricSeries.Trend([P(0, 100), P(10, 100.5), P(20, 100.2)], higherIsBetter: true);
        Assert.Equal(TrendDirections.Flat, flat.Direction);
        Assert.Null(flat.Improving);
        Assert.Equal(TrendDirections.Flat, MetricSeries.Trend([P(0, 0), P(10, 0)], true).Direction);
        var one = MetricSeries.Trend([P(0, 5), P(10, null, 0)], true);
        Assert.Equal((TrendDirections.InsufficientData, 1), (one.Direction, one.Points));
        Assert.Null(one.SlopePerHour);
    }

    [Fact]
    public void Falling_error_rate_is_an_improvement()
    {
        var t = MetricSeries.Trend([P(0, 0.2), P(60, 0.1)], SeriesMetrics.HigherIsBetter(SeriesMetrics.ErrorRate));
        Assert.Equal((TrendDirections.Falling, true), (t.Direction, t.Improving));
        Assert.Equal(-0.1, t.SlopePerHour!.Value, 12);
    }

    [Fact]
    public void Series_slots_cover_the_range_and_read_each_slot_as_a_window()
    {
        BucketCounts B(int seconds, long requests, long errors, double latencySum) =>
            new() { ModelVersion = "1.0.0", Bucket = T0.AddSeconds(seconds), Requests = requests, Errors = errors, Served = requests - errors, LatencySum = latencySum };
        var buckets = new[] { B(0, 4, 1, 300), B(10, 6, 0, 600), B(40, 5, 5, 0) };
        var price = new TokenPrice(0, 0);
        var requests = MetricSeries.Build(buckets, [], T0, T0.AddSeconds(60), 20, SeriesMetrics.Requests, price, "USD");
        Assert.Equal(new[] { (T0, 10.0, 10L), (T0.AddSeconds(20), 0.0, 0L), (T0.AddSeconds(40), 5.0, 5L) }, requests.Select(p => (p.Start, p.Value!.Value, p.Samples)));
        var errors = MetricSeries.Build(buckets, [], T0, T0.AddSeconds(60), 20, SeriesMetrics.ErrorRate, price, "USD");
        Assert.Equal(new double?[] { 0.1, null, 1.0 }, errors.Select(p => p.Value));
        var throughput = MetricSeries.Build(buckets, [], T0, T0.AddSeconds(60), 20, SeriesMetrics.Throughput, price, "USD");
        Assert.Equal(new[] { 0.5, 0, 0.25 }, throughput.Select(p => p.Value!.Value));
        var latency = MetricSeries.Build(buckets, [], T0, T0.AddSeconds(60), 20, SeriesMetrics.LatencyMean, price, "USD");
        Assert.Equal(new double?[] { 100.0, null, null }, latency.Select(p => p.Value));
        Assert.Equal(new[] { 9L, 0L, 0L }, latency.Select(p => p.Samples));
    }
}

public sealed class RankingAndCsvTests
{
    private static readonly WindowFigures None = WindowSummary.Summarise([], [], 60, new TokenPrice(0, 0), "USD");

    private static RankedVersion V(string domain, string version, double? value) => new(domain, version, ["stable"], value, HealthStates.Met, value, 1, None);

    [Fact]
    public void Higher_is_better_metrics_rank_descending_lower_ascending_ties_share_a_rank_and_no_value_is_last()
    {
        RankedVersion[] versions = [V("b", "1", 90), V("a", "1", null), V("a", "2", 100), V("c", "1", 90)];
        var health = MetricRanking.Rank(versions, MetricRanking.Health);
        Assert.Equal(new[] { (1, "a/2"), (2, "b/1"), (2, "c/1"), (4, "a/1") }, health.Select(e => (e.Rank, e.Version.Domain + "/" + e.Version.ModelVersion)));
        var latency = MetricRanking.Rank(versions, SeriesMetrics.LatencyP95);
        Assert.Equal(["b/1", "c/1", "a/2", "a/1"], latency.Select(e => e.Version.Domain + "/" + e.Version.ModelVersion));
    }

    [Fact]
    public void Csv_quotes_as_rfc_4180_and_writes_invariant_numbers()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        // A culture with a decimal comma (the process runs in globalization-invariant mode, so no named culture).
        var comma = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        System.Globalization.CultureInfo.CurrentCulture = comma;
        try
        {
            var csv = new Csv("name", "value", "at").Row("a,b", 1.5, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)).Row("say \"hi\"\nthere", null, true).Row("plain", 1234567L, double.NaN);
            Assert.Equal("name,value,at\r\n\"a,b\",1.5,2026-01-02T03:04:05Z\r\n\"say \"\"hi\"\"\nthere\",,true\r\nplain,1234567,\r\n", csv.ToString());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
