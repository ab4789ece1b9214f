namespace DomainPlatform.Assignment.Tests;

public class CanarySplitTests
{
    private const int Keys = 10_000;

    [Fact]
    public void Ramp_1_10_50_100_only_moves_users_from_stable_to_canary_with_the_planned_share_at_each_step()
    {
        double[] steps = [1, 10, 50, 100];
        var previous = new bool[Keys];
        var split = new CanarySplit("rollout-7", 0);

        foreach (var percent in steps)
        {
            split = split.WithCanaryPercent(percent);
            var canaries = 0;
            for (var i = 0; i < Keys; i++)
            {
                var isCanary = split.IsCanary($"user-{i}");
                Assert.False(previous[i] && !isCanary, $"user-{i} moved back from canary to stable at {percent}%");
                previous[i] = isCanary;
                canaries += isCanary ? 1 : 0;
            }

            var planned = percent / 100;
            var tolerance = 4 * Math.Sqrt(planned * (1 - planned) / Keys);
            var observed = canaries / (double)Keys;
            Assert.True(Math.Abs(observed - planned) <= tolerance,
                $"step {percent}%: observed canary share {observed:P2}, tolerance {tolerance:P2}");
        }

        Assert.All(previous, Assert.True);
    }

    [Fact]
    public void Zero_percent_sends_nobody_to_the_canary()
    {
        var split = new CanarySplit("rollout", 0);
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(split.IsCanary($"user-{i}"));
        }
    }

    [Fact]
    public void Canary_owns_the_lowest_buckets()
    {
        Assert.Equal(100, CanarySplit.BucketsForPercent(1));
        Assert.Equal(1, CanarySplit.BucketsForPercent(0.01));
        Assert.Equal(10_000, CanarySplit.BucketsForPercent(100));
        Assert.True(CanarySplit.IsCanaryBucket(99, 1));
        Assert.False(CanarySplit.IsCanaryBucket(100, 1));
        Assert.True(CanarySplit.IsCanaryBucket(9999, 100));
    }

    [Fact]
    public void The_canary_decision_agrees_with_the_key_bucket()
    {
        var split = new CanarySplit("rollout", 37.5);
        for (var i = 0; i < 1000; i++)
        {
            var key = $"user-{i}";
            Assert.Equal(AssignmentHasher.GetBucket("rollout", key) < 3750, split.IsCanary(key));
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(100.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Percentages_outside_0_to_100_are_rejected(double percent)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CanarySplit("rollout", percent));
        Assert.Contains("[0, 100]", error.Message);
    }
}
