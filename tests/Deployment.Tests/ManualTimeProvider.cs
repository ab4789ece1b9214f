namespace DomainPlatform.Deployment.Tests;

/// <summary>Timers that fire only when the test says so (the clock itself reads the system time).</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];

    public int Pending
    {
        get { lock (_timers) return _timers.Count; }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_timers) _timers.Add(timer);
        return timer;
    }

    /// <summary>Fires every pending timer once.</summary>
    public void FireAll()
    {
        ManualTimer[] due;
        lock (_timers)
        {
            due = [.. _timers];
            _timers.Clear();
        }
        foreach (var timer in due) timer.Fire();
    }

    private void Remove(ManualTimer timer)
    {
        lock (_timers) _timers.Remove(timer);
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            owner.Remove(this);
            return ValueTask.CompletedTask;
        }
    }
}
