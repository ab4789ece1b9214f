using System.Collections.Concurrent;
using DomainPlatform.Contracts;
using DomainPlatform.TestSupport;
using MassTransit;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>
/// Counts the events a running service's bus consumed to the end, by event id, seen from inside the process. The broker's
/// own acknowledgement counter is no proof: its statistics drop the acks a connection made just before it closed (checked
/// with amqplib against the suite's RabbitMQ 3.10: an ack followed at once by the connection's close was missing from the
/// queue's totals in 8 of 8 tries, and in 1 of 8 with up to 50 ms between), so a count across a restart undercounts, and
/// a count read as a baseline may still be short of acks not yet collected.
/// </summary>
public sealed class ConsumedEvents : IConsumeObserver, IDisposable
{
    private readonly ConcurrentDictionary<Guid, int> _consumed = new();
    private readonly ConcurrentQueue<string> _faults = new();
    private readonly ConnectHandle _handle;

    private ConsumedEvents(IBus bus) => _handle = bus.ConnectConsumeObserver(this);

    public static ConsumedEvents Observe(IServiceProvider services) =>
        new((IBus)services.GetService(typeof(IBus))!);

    public int Times(Guid eventId) => _consumed.GetValueOrDefault(eventId);

    /// <summary>Waits until each id was consumed at least as often as it appears in <paramref name="eventIds"/>.</summary>
    public Task WaitForAsync(string what, params Guid[] eventIds) =>
        Eventually.GetAsync(() =>
        {
            if (_faults.TryPeek(out var fault)) throw new InvalidOperationException($"A consumer failed while waiting for {what}: {fault}");
            return Task.FromResult(eventIds.GroupBy(id => id).All(g => Times(g.Key) >= g.Count()));
        }, done => done, what);

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is IntegrationEvent evt) _consumed.AddOrUpdate(evt.EventId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        _faults.Enqueue($"{typeof(T).Name}: {exception.Message}");
        return Task.CompletedTask;
    }

    public void Dispose() => _handle.Disconnect();
}
