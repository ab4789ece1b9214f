namespace DomainPlatform.Gateway.Limits;

/// <summary>
/// A circuit breaker in front of the shared rate-limit bucket. Closed, every draw goes to Redis. A failed draw opens it
/// for <c>openFor</c>: meanwhile draws are not tried at all (each request is decided at once by the outage rule instead
/// of waiting for a Redis that is away), and when the time is up one caller probes; a success closes it, a failure opens
/// it again. Pure apart from the clock it is given, so every transition is tested.
/// </summary>
public sealed class RedisCircuit(TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _retryAt = long.MinValue;
    private volatile bool _open;

    /// <summary>Whether the circuit is open now (Redis judged away).</summary>
    public bool IsOpen => _open;

    /// <summary>
    /// Whether this caller may draw on Redis now: always while closed; while open, only the one caller that comes first
    /// once the open time is up (the probe), whose outcome decides what comes next.
    /// </summary>
    public bool TryEnter(TimeSpan openFor)
    {
        // The request path's common case, closed, takes no lock.
        if (!_open) return true;
        lock (_gate)
        {
            if (!_open) return true;
            var now = time.GetTimestamp();
            if (now < _retryAt) return false;
            // This caller probes; the others keep deciding without Redis until it has answered.
            _retryAt = now + Ticks(openFor);
            return true;
        }
    }

    /// <summary>How long until the next probe (zero while closed).</summary>
    public TimeSpan RetryIn()
    {
        lock (_gate)
        {
            if (!_open) return TimeSpan.Zero;
            var left = _retryAt - time.GetTimestamp();
            return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / time.TimestampFrequency);
        }
    }

    /// <summary>A draw failed: open (again) for <paramref name="openFor"/>. Returns whether it was closed before.</summary>
    public bool RecordFailure(TimeSpan openFor)
    {
        lock (_gate)
        {
            var wasClosed = !_open;
            _open = true;
            _retryAt = time.GetTimestamp() + Ticks(openFor);
            return wasClosed;
        }
    }

    /// <summary>A draw succeeded: close. Returns whether it was open before.</summary>
    public bool RecordSuccess()
    {
        if (!_open) return false;
        lock (_gate)
        {
            var wasOpen = _open;
            _open = false;
            return wasOpen;
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
