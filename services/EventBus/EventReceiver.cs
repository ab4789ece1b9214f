using DomainPlatform.Contracts;
using MassTransit;

namespace DomainPlatform.EventBus;

/// <summary>What a subscriber without a database hears (<see cref="EventBusExtensions.AddEventSubscriber{TReceiver}"/>).</summary>
public interface IEventReceiver
{
    void Receive(IntegrationEvent evt);

    /// <summary>A queue consumes (again): at the start, and after RabbitMQ was away, when events may have been missed.</summary>
    void Resumed();
}

/// <summary>Hands one event type's messages to the receiver.</summary>
internal sealed class ReceivingConsumer<TEvent, TReceiver>(TReceiver receiver) : IConsumer<TEvent>
    where TEvent : IntegrationEvent
    where TReceiver : class, IEventReceiver
{
    public Task Consume(ConsumeContext<TEvent> context)
    {
        receiver.Receive(context.Message);
        return Task.CompletedTask;
    }
}

internal sealed class ResumedObserver(IEventReceiver receiver) : IReceiveEndpointObserver
{
    public Task Ready(ReceiveEndpointReady ready)
    {
        receiver.Resumed();
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;
    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;
    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
