namespace DomainPlatform.EventBus;

/// <summary>
/// Wakes a background worker as soon as there is work instead of at its next poll. Any number of
/// notifications before the worker waits again wake it once. Each worker has its own subclass, so
/// dependency injection keeps them apart.
/// </summary>
public abstract class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try { _signal.Release(); } catch (SemaphoreFullException) { /* already signalled */ }
        }
    }

    /// <summary>Returns at the next notification or after <paramref name="timeout"/>, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
