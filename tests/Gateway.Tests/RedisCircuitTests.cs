using DomainPlatform.Gateway.Limits;

namespace DomainPlatform.Gateway.Tests;

/// <summary>The rate limit's circuit in front of Redis, on a clock the test moves.</summary>
public sealed class RedisCircuitTests
{
    private static readonly TimeSpan OpenFor = TimeSpan.FromSeconds(5);

    private sealed class SteppedClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    [Fact]
    public void Closed_every_caller_draws_on_redis()
    {
        var circuit = new RedisCircuit(new SteppedClock());
        Assert.False(circuit.IsOpen);
        Assert.All(Enumerable.Range(0, 5), _ => Assert.True(circuit.TryEnter(OpenFor)));
        Assert.Equal(TimeSpan.Zero, circuit.RetryIn());
    }

    [Fact]
    public void A_failure_opens_it_and_nobody_tries_redis_until_the_open_time_is_up_then_exactly_one_probes()
    {
        var clock = new SteppedClock();
        var circuit = new RedisCircuit(clock);
        Assert.True(circuit.RecordFailure(OpenFor));
        Assert.True(circuit.IsOpen);
        Assert.Equal(OpenFor, circuit.RetryIn());
        clock.Advance(TimeSpan.FromSeconds(4.999));
        Assert.False(circuit.TryEnter(OpenFor));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(circuit.TryEnter(OpenFor));
        // The others keep deciding without Redis while the probe is out.
        Assert.False(circuit.TryEnter(OpenFor));
        Assert.False(circuit.TryEnter(OpenFor));
        Assert.Equal(OpenFor, circuit.RetryIn());
    }

    [Fact]
    public void A_failed_probe_opens_it_again_and_a_successful_one_closes_it()
    {
        var clock = new SteppedClock();
        var circuit = new RedisCircuit(clock);
        circuit.RecordFailure(OpenFor);
        clock.Advance(OpenFor);
        Assert.True(circuit.TryEnter(OpenFor));
        Assert.False(circuit.RecordFailure(OpenFor)); // it was open already: one outage, logged once
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(circuit.TryEnter(OpenFor));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.True(circuit.TryEnter(OpenFor));
        Assert.True(circuit.RecordSuccess());
        Assert.False(circuit.IsOpen);
        Assert.False(circuit.RecordSuccess());
        Assert.True(circuit.TryEnter(OpenFor));
    }
}
