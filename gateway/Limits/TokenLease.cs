namespace DomainPlatform.Gateway.Limits;

/// <summary>
/// The rules for how a replica borrows from a key's shared bucket. A busy key takes several tokens per
/// trip to Redis and spends them locally; a quiet key takes one at a time, so it sees the exact bucket.
/// Tokens are taken from the shared bucket before they are spent, so all replicas together never
/// admit more than the bucket allows; what a lease holds unspent when it expires is lost, which errs
/// towards refusing.
/// </summary>
public static class TokenLease
{
    /// <summary>A lease held longer than this is dropped, so a replica never sits on old tokens.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    /// <summary>The most one trip takes: a tenth of the burst, at most 50, at least 1.</summary>
    public static int MaxSize(RateLimitOptions options) => Math.Clamp(options.Capacity / 10, 1, 50);

    /// <summary>About a tenth of a second of the key's recent traffic on this replica, within the maximum.</summary>
    public static int SizeFor(int requestsInLastSecond, RateLimitOptions options) =>
        Math.Clamp(requestsInLastSecond / 10, 1, MaxSize(options));
}

/// <summary>One key's lease on one replica: pure state, advanced under the owner's lock.</summary>
public sealed class KeyLeaseState
{
    private long _windowStart;
    private int _windowCount;
    private int _lastWindowCount;
    private long _leasedAt;
    private long _deniedUntil;

    public int Tokens { get; private set; }

    /// <summary>Remaining figure of the shared bucket at the last trip to Redis.</summary>
    public double SharedRemaining { get; private set; }

    /// <summary>Counts a request at <paramref name="now"/> (a timestamp in ticks of <paramref name="frequency"/> per second).</summary>
    public void Count(long now, long frequency)
    {
        if (now - _windowStart >= frequency)
        {
            _lastWindowCount = now - _windowStart >= 2 * frequency ? 0 : _windowCount;
            _windowStart = now;
            _windowCount = 0;
        }
        _windowCount++;
    }

    /// <summary>Requests seen in the last full second (or the current one, when it is busier).</summary>
    public int RecentRate => Math.Max(_lastWindowCount, _windowCount);

    /// <summary>Spends a leased token when one is held and the lease is fresh.</summary>
    public bool TrySpend(long now, long frequency)
    {
        if (Tokens > 0 && now - _leasedAt > (long)(TokenLease.Lifetime.TotalSeconds * frequency)) Tokens = 0;
        if (Tokens == 0) return false;
        Tokens--;
        return true;
    }

    /// <summary>When the shared bucket refused a moment ago, how long until it can give a token, else null.</summary>
    public TimeSpan? DeniedFor(long now, long frequency) =>
        now < _deniedUntil ? TimeSpan.FromSeconds((double)(_deniedUntil - now) / frequency) : null;

    /// <summary>Records a trip's result; the first granted token is the caller's.</summary>
    public void Record(BucketGrant grant, long now, long frequency)
    {
        SharedRemaining = grant.Remaining;
        if (grant.Granted > 0)
        {
            Tokens = grant.Granted - 1;
            _leasedAt = now;
            _deniedUntil = 0;
        }
        else
        {
            Tokens = 0;
            _deniedUntil = now + (long)(grant.RetryAfter.TotalSeconds * frequency);
        }
    }
}
