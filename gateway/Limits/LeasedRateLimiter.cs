using System.Collections.Concurrent;

namespace DomainPlatform.Gateway.Limits;

/// <summary>
/// Per-key rate limiting over the shared Redis bucket with local leases (see <see cref="TokenLease"/>):
/// a busy key costs one Redis trip per lease instead of one per request, and a key the bucket has just
/// refused is refused locally until a token can exist again.
/// </summary>
public sealed class LeasedRateLimiter(RedisTokenBucket bucket, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _keys = new();
    private long _trips;

    /// <summary>Trips to the shared bucket so far.</summary>
    public long RedisTrips => Interlocked.Read(ref _trips);

    public async Task<RateLimitDecision> TryTakeAsync(string key, RateLimitOptions options)
    {
        var entry = _keys.GetOrAdd(key, static _ => new Entry());
        var frequency = time.TimestampFrequency;
        int want;
        lock (entry.State)
        {
            var now = time.GetTimestamp();
            entry.State.Count(now, frequency);
            if (Local(entry.State, now, frequency) is { } local) return local;
        }

        // One trip to Redis per key at a time: requests arriving meanwhile wait for its lease.
        await entry.Trip.WaitAsync();
        try
        {
            lock (entry.State)
            {
                var now = time.GetTimestamp();
                if (Local(entry.State, now, frequency) is { } local) return local;
                want = TokenLease.SizeFor(entry.State.RecentRate, options);
            }
            Interlocked.Increment(ref _trips);
            var grant = await bucket.TakeAsync(key, want, options);
            lock (entry.State)
            {
                entry.State.Record(grant, time.GetTimestamp(), frequency);
                return new RateLimitDecision(grant.Granted > 0, grant.Remaining + entry.State.Tokens, grant.RetryAfter);
            }
        }
        finally
        {
            entry.Trip.Release();
        }
    }

    private static RateLimitDecision? Local(KeyLeaseState state, long now, long frequency)
    {
        if (state.DeniedFor(now, frequency) is { } wait) return new RateLimitDecision(false, 0, wait);
        return state.TrySpend(now, frequency) ? new RateLimitDecision(true, state.SharedRemaining + state.Tokens, TimeSpan.Zero) : null;
    }

    private sealed class Entry
    {
        public KeyLeaseState State { get; } = new();
        public SemaphoreSlim Trip { get; } = new(1, 1);
    }
}
