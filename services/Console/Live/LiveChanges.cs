using DomainPlatform.Contracts;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;

namespace DomainPlatform.Console.Live;

/// <summary>
/// The console's in-process notifier: the event bus hands it each platform event it listens to
/// (<see cref="ChangeMap.Consumed"/>), and every open page that shows an object the event changed is told (its
/// <c>shows</c> test says which), once per event. Pages subscribe while open. When the subscription resumes after
/// RabbitMQ was away, every page is told to read again (it may have missed events).
/// </summary>
public sealed partial class LiveChanges(ILogger<LiveChanges> logger) : IEventReceiver
{
    private readonly Lock gate = new();
    private readonly List<Subscription> subscriptions = [];
    private RouteTableChanged? lastRoutes;

    /// <summary>Calls <paramref name="changed"/> whenever an event changes something <paramref name="shows"/> accepts, until disposed.</summary>
    public IDisposable Subscribe(Func<ConsoleChange, bool> shows, Action changed)
    {
        var subscription = new Subscription(this, shows, changed);
        lock (gate) subscriptions.Add(subscription);
        return subscription;
    }

    /// <summary>An event arrived: the objects it changed go to the pages that show them.</summary>
    public void Receive(IntegrationEvent evt)
    {
        IReadOnlyList<ConsoleChange> changes;
        lock (gate)
        {
            changes = ChangeMap.From(evt, lastRoutes);
            if (evt is RouteTableChanged routes && (lastRoutes is null || routes.Revision >= lastRoutes.Revision)) lastRoutes = routes;
        }
        Publish(changes);
    }

    public void Resumed() => Publish([ConsoleChange.Everything]);

    /// <summary>Tells each subscriber whose page shows one of <paramref name="changes"/>.</summary>
    public void Publish(IReadOnlyList<ConsoleChange> changes)
    {
        if (changes.Count == 0) return;
        Subscription[] current;
        lock (gate) current = [.. subscriptions];
        foreach (var subscription in current)
        {
            try
            {
                if (changes.Any(c => c.Area == ChangeArea.Everything || subscription.Shows(c))) subscription.Changed();
            }
            catch (Exception ex)
            {
                // One page's failure must not keep the others from hearing of the change.
                LogSubscriberFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A page's live-change handler failed")]
    private partial void LogSubscriberFailed(Exception ex);

    private sealed class Subscription(LiveChanges owner, Func<ConsoleChange, bool> shows, Action changed) : IDisposable
    {
        public Func<ConsoleChange, bool> Shows { get; } = shows;
        public Action Changed { get; } = changed;

        public void Dispose()
        {
            lock (owner.gate) owner.subscriptions.Remove(this);
        }
    }
}
