using StackExchange.Redis;

namespace DomainPlatform.Experimentation.Monitoring;

/// <summary>
/// Start/stop of monitoring shared by every replica (a Redis flag), and a lease so only one replica looks per interval.
/// </summary>
public sealed class MonitorControl(IConnectionMultiplexer redis)
{
    private const string PausedKey = "experimentation:monitoring:paused";
    private const string LeaseKey = "experimentation:monitoring:lease";
    private readonly string _owner = Guid.NewGuid().ToString("N");

    public DateTime? LastRunAt { get; private set; }

    public async Task<bool> IsPausedAsync() => await redis.GetDatabase().KeyExistsAsync(PausedKey);

    public Task SetPausedAsync(bool paused) =>
        paused ? redis.GetDatabase().StringSetAsync(PausedKey, "1") : redis.GetDatabase().KeyDeleteAsync(PausedKey);

    /// <summary>True when this replica holds the look for the coming interval.</summary>
    public Task<bool> TryLeaseAsync(TimeSpan interval) =>
        redis.GetDatabase().StringSetAsync(LeaseKey, _owner, interval, When.NotExists);

    public void MarkRun(DateTime at) => LastRunAt = at;
}
