using DomainPlatform.Gateway.Limits;

namespace DomainPlatform.Gateway.Tests;

/// <summary>The pure rules of local leases on the shared bucket; timestamps are plain numbers here (1000 per second).</summary>
public sealed class TokenLeaseTests
{
    private const long Second = 1000;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(19, 1)]
    [InlineData(20, 2)]
    [InlineData(120, 12)]
    [InlineData(500, 50)]
    [InlineData(1_000_000, 50)]
    public void The_largest_lease_is_a_tenth_of_the_burst_within_1_and_50(int capacity, int expected) =>
        Assert.Equal(expected, TokenLease.MaxSize(new RateLimitOptions { Capacity = capacity }));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(19, 1)]
    [InlineData(20, 2)]
    [InlineData(95, 9)]
    [InlineData(5000, 12)]
    public void A_lease_covers_a_tenth_of_a_second_of_recent_traffic(int requestsInLastSecond, int expected) =>
        Assert.Equal(expected, TokenLease.SizeFor(requestsInLastSecond, new RateLimitOptions { Capacity = 120 }));

    [Fact]
    public void A_small_bucket_is_never_leased_in_batches_so_its_count_stays_exact()
    {
        var options = new RateLimitOptions { Capacity = 5 };
        Assert.All(new[] { 0, 10, 1000, 1_000_000 }, rate => Assert.Equal(1, TokenLease.SizeFor(rate, options)));
    }

    [Fact]
    public void The_first_granted_token_is_the_callers_and_the_rest_are_spent_locally()
    {
        var state = new KeyLeaseState();
        state.Record(new BucketGrant(3, 40, TimeSpan.Zero), now: 10, Second);

        Assert.Equal(2, state.Tokens);
        Assert.True(state.TrySpend(20, Second));
        Assert.True(state.TrySpend(30, Second));
        Assert.False(state.TrySpend(40, Second));
        Assert.Equal(40, state.SharedRemaining);
    }

    [Fact]
    public void An_old_lease_is_dropped_instead_of_spent()
    {
        var state = new KeyLeaseState();
        state.Record(new BucketGrant(5, 0, TimeSpan.Zero), now: 0, Second);

        Assert.True(state.TrySpend(Second, Second));
        Assert.False(state.TrySpend(Second + 1, Second));
        Assert.Equal(0, state.Tokens);
    }

    [Fact]
    public void A_refusal_is_remembered_until_the_bucket_can_hold_a_token_again()
    {
        var state = new KeyLeaseState();
        state.Record(new BucketGrant(0, 0.25, TimeSpan.FromMilliseconds(750)), now: 100, Second);

        Assert.Equal(TimeSpan.FromMilliseconds(750), state.DeniedFor(100, Second));
        Assert.Equal(TimeSpan.FromMilliseconds(50), state.DeniedFor(800, Second));
        Assert.Null(state.DeniedFor(850, Second));
        Assert.False(state.TrySpend(500, Second));

        state.Record(new BucketGrant(1, 0, TimeSpan.Zero), now: 900, Second);
        Assert.Null(state.DeniedFor(900, Second));
    }

    [Fact]
    public void The_recent_rate_is_the_last_full_second_or_the_current_one_when_busier()
    {
        var state = new KeyLeaseState();
        for (var i = 0; i < 30; i++) state.Count(Second + i, Second);
        Assert.Equal(30, state.RecentRate);

        for (var i = 0; i < 5; i++) state.Count(2 * Second + 10 + i, Second);
        Assert.Equal(30, state.RecentRate);

        for (var i = 0; i < 40; i++) state.Count(2 * Second + 100 + i, Second);
        Assert.Equal(45, state.RecentRate);

        // After a quiet spell of more than a second, the old burst no longer counts.
        state.Count(10 * Second, Second);
        Assert.Equal(1, state.RecentRate);
    }
}
