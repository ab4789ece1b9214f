namespace DomainPlatform.Assignment.Tests;

public class AssignmentHasherTests
{
    [Fact]
    public void Buckets_lie_in_range_and_are_uniform_over_ten_bins()
    {
        const int keys = 10_000;
        var bins = new int[10];
        for (var i = 0; i < keys; i++)
        {
            var bucket = AssignmentHasher.GetBucket("uniformity", $"user-{i}");
            Assert.InRange(bucket, 0, AssignmentHasher.BucketCount - 1);
            bins[bucket / 1000]++;
        }

        var expected = keys / 10.0;
        var chiSquare = bins.Sum(count => (count - expected) * (count - expected) / expected);

        // 27.877 is the 0.999 quantile of chi-square with 9 degrees of freedom.
        Assert.True(chiSquare < 27.877, $"chi-square {chiSquare:F2} over bins [{string.Join(", ", bins)}]");
    }

    [Fact]
    public void Same_salt_and_key_always_give_the_same_bucket()
    {
        for (var i = 0; i < 1000; i++)
        {
            var key = $"user-{i}";
            var first = AssignmentHasher.GetBucket("sticky", key);
            for (var repeat = 0; repeat < 5; repeat++)
            {
                Assert.Equal(first, AssignmentHasher.GetBucket("sticky", key));
                Assert.Equal(first, AssignmentHasher.GetBucket(AssignmentHasher.SeedFor("sticky"), key.AsSpan()));
            }
        }
    }

    [Fact]
    public void Salt_and_key_cannot_trade_characters()
    {
        Assert.NotEqual(AssignmentHasher.Hash("ab", "c"), AssignmentHasher.Hash("a", "bc"));
    }

    [Fact]
    public void Buckets_under_different_salts_are_uncorrelated()
    {
        const int keys = 10_000;
        var first = new double[keys];
        var second = new double[keys];
        for (var i = 0; i < keys; i++)
        {
            first[i] = AssignmentHasher.GetBucket("salt-one", $"user-{i}");
            second[i] = AssignmentHasher.GetBucket("salt-two", $"user-{i}");
        }

        // Under independence the sample correlation has standard deviation 1/sqrt(n) = 0.01.
        Assert.InRange(Correlation(first, second), -0.04, 0.04);
    }

    [Fact]
    public void Null_or_empty_inputs_are_rejected_with_clear_errors()
    {
        Assert.Throws<ArgumentNullException>(() => AssignmentHasher.GetBucket(null!, "key"));
        Assert.Throws<ArgumentNullException>(() => AssignmentHasher.GetBucket("salt", null!));
        var error = Assert.Throws<ArgumentException>(() => AssignmentHasher.GetBucket("salt", ""));
        Assert.Contains("must not be empty", error.Message);
        Assert.Throws<ArgumentException>(() => AssignmentHasher.GetBucket(1UL, ReadOnlySpan<char>.Empty));
    }

    [Fact]
    public void Bucket_of_maps_the_extremes_of_the_hash_range_onto_the_first_and_last_bucket()
    {
        Assert.Equal(0, AssignmentHasher.BucketOf(0));
        Assert.Equal(AssignmentHasher.BucketCount - 1, AssignmentHasher.BucketOf(ulong.MaxValue));
        Assert.Equal(AssignmentHasher.BucketCount / 2, AssignmentHasher.BucketOf(1UL << 63));
    }

    private static double Correlation(double[] x, double[] y)
    {
        var meanX = x.Average();
        var meanY = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - meanX) * (y[i] - meanY);
            sxx += (x[i] - meanX) * (x[i] - meanX);
            syy += (y[i] - meanY) * (y[i] - meanY);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }
}
