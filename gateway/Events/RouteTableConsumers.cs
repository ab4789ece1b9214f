using DomainPlatform.Contracts.Events;
using DomainPlatform.Gateway.Routing;
using MassTransit;

namespace DomainPlatform.Gateway.Events;

// Plain consumers, not IdempotentConsumer: every replica keeps its own in-memory copy, so each must
// apply every event (a shared inbox row would make the second replica skip it); applying is idempotent by revision.

/// <summary>Applies a new route table to this replica's proxy, live.</summary>
internal sealed class RouteTableChangedConsumer(RouteTableState state) : IConsumer<RouteTableChanged>
{
    public Task Consume(ConsumeContext<RouteTableChanged> context) =>
        state.ApplyAsync(context.Message.Revision, context.Message.Domains, "RouteTableChanged", context.CancellationToken);
}

/// <summary>Takes the learned weights the "auto" router blends with keyword scores.</summary>
internal sealed class RoutingWeightsUpdatedConsumer(RouteTableState state) : IConsumer<RoutingWeightsUpdated>
{
    public Task Consume(ConsumeContext<RoutingWeightsUpdated> context)
    {
        state.ApplyWeights(context.Message.Weights);
        return Task.CompletedTask;
    }
}
