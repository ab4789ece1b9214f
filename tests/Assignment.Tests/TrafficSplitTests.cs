namespace DomainPlatform.Assignment.Tests;

public class TrafficSplitTests
{
    private const int Keys = 10_000;

    // Deterministic keys and salts make these checks reproducible; 4 standard deviations of a binomial share.
    private const double Sigmas = 4.0;

    public static TheoryData<string, double[]> Splits => new()
    {
        { "ab-50-50", [50, 50] },
        { "ab-90-10", [90, 10] },
        { "abcd-equal", [25, 25, 25, 25] },
        { "abcd-uneven", [10, 20, 30, 40] },
        { "abcd-skewed", [70, 15, 10, 5] },
        { "fractions", [0.5, 0.25, 0.25] },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void Observed_shares_over_10000_keys_are_within_binomial_tolerance(string salt, double[] weights)
    {
        var split = new TrafficSplit(salt, weights.Select((w, i) => new VariantWeight($"v{i}", w)));
        var counts = new int[weights.Length];
        for (var i = 0; i < Keys; i++)
        {
            counts[split.AssignIndex($"user-{i}")]++;
        }

        var total = weights.Sum();
        for (var v = 0; v < weights.Length; v++)
        {
            var planned = weights[v] / total;
            var observed = counts[v] / (double)Keys;
            var tolerance = Sigmas * Math.Sqrt(planned * (1 - planned) / Keys);
            Assert.True(Math.Abs(observed - planned) <= tolerance,
                $"variant v{v}: observed {observed:P2}, planned {planned:P2}, tolerance {tolerance:P2}");
        }
    }

    [Fact]
    public void Ranges_tile_all_buckets_in_the_order_given()
    {
        var split = new TrafficSplit("s", [new("a", 1), new("b", 2), new("c", 0), new("d", 1)]);

        Assert.Equal(
            [new VariantRange("a", 0, 2500), new VariantRange("b", 2500, 7500), new VariantRange("c", 7500, 7500), new VariantRange("d", 7500, 10_000)],
            split.Ranges);
        Assert.Equal(0.5, split.Ranges[1].Share);
        Assert.Equal(0, split.IndexOfBucket(0));
        Assert.Equal(0, split.IndexOfBucket(2499));
        Assert.Equal(1, split.IndexOfBucket(2500));
        Assert.Equal(3, split.IndexOfBucket(7500));
        Assert.Equal(3, split.IndexOfBucket(9999));
    }

    [Fact]
    public void Thirds_round_so_the_ranges_still_cover_every_bucket()
    {
        var split = new TrafficSplit("s", [new("a", 1), new("b", 1), new("c", 1)]);

        Assert.Equal([3333, 3334, 3333], split.Ranges.Select(r => r.BucketCount));
        Assert.Equal(10_000, split.Ranges[^1].EndBucket);
    }

    [Fact]
    public void A_zero_weight_variant_never_receives_traffic()
    {
        var split = new TrafficSplit("zero", [new("control", 1), new("off", 0), new("treatment", 1)]);
        for (var i = 0; i < 2000; i++)
        {
            Assert.NotEqual("off", split.Assign($"user-{i}"));
        }
    }

    [Fact]
    public void The_same_key_keeps_its_variant_and_an_equal_split_built_again_agrees()
    {
        var split = new TrafficSplit("sticky", [new("a", 25), new("b", 25), new("c", 25), new("d", 25)]);
        var again = new TrafficSplit("sticky", [new("a", 25), new("b", 25), new("c", 25), new("d", 25)]);
        for (var i = 0; i < 2000; i++)
        {
            var key = $"user-{i}";
            var variant = split.Assign(key);
            Assert.Equal(variant, split.Assign(key));
            Assert.Equal(variant, again.Assign(key));
        }
    }

    [Fact]
    public void Different_salts_assign_independently()
    {
        var first = new TrafficSplit("experiment-1", [new("a", 50), new("b", 50)]);
        var second = new TrafficSplit("experiment-2", [new("a", 50), new("b", 50)]);
        var agreements = 0;
        for (var i = 0; i < Keys; i++)
        {
            if (first.Assign($"user-{i}") == second.Assign($"user-{i}"))
            {
                agreements++;
            }
        }

        // Independent 50/50 splits agree on half of the keys.
        var tolerance = Sigmas * Math.Sqrt(0.25 / Keys);
        Assert.InRange(agreements / (double)Keys, 0.5 - tolerance, 0.5 + tolerance);
    }

    [Fact]
    public void Bad_weights_are_rejected_with_clear_argument_exceptions()
    {
        Assert.Contains("at least one variant", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [])).Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [new("a", -1), new("b", 2)])).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [new("a", double.NaN)])).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [new("a", double.PositiveInfinity)])).Message);
        Assert.Contains("sum to zero", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [new("a", 0), new("b", 0)])).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [new("a", 1), new("a", 1)])).Message);
        Assert.Contains("non-empty name", Assert.Throws<ArgumentException>(() => new TrafficSplit("s", [new(" ", 1)])).Message);
        Assert.Throws<ArgumentNullException>(() => new TrafficSplit(null!, [new("a", 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficSplit("s", [new("a", 1)]).IndexOfBucket(10_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficSplit("s", [new("a", 1)]).IndexOfBucket(-1));
    }
}
