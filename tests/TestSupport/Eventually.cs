namespace DomainPlatform.TestSupport;

/// <summary>
/// Polls a condition that becomes true asynchronously. The bound is a hang guard, not a performance
/// assertion: it is generous and a pass never depends on how fast the machine is.
/// </summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        T last;
        do
        {
            last = await probe();
            if (done(last)) return last;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Gave up waiting for {what}; last value: {last}");
    }
}
