using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Events;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>
/// Feedback that overtakes its request's outcome waits for it through the bus's retries; that wait must end before the
/// retries do. Five exponential retries (6 to 13 s, MassTransit's jitter) once ended a 10 s wait early about half the
/// time, and such feedback went to the error queue instead of being counted (the outage drills found nine there).
/// </summary>
public sealed class FeedbackWaitTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    [Fact]
    public void The_bus_retries_a_waiting_handler_for_longer_than_any_consumer_waits()
    {
        var retries = EventBusExtensions.EventWaitRetryIntervals.Aggregate(TimeSpan.Zero, (sum, interval) => sum + interval);
        Assert.True(retries > EventBusExtensions.LongestEventWait, $"{retries} of retries for waits of up to {EventBusExtensions.LongestEventWait}");
        Assert.True(FeedbackReceivedConsumer.WaitForRequest <= EventBusExtensions.LongestEventWait);
        Assert.IsAssignableFrom<EventNotYetArrivedException>(new RequestNotSeenYetException("r"));
    }

    [Fact]
    public async Task Feedback_for_a_request_never_seen_waits_then_counts_for_the_domain_it_names_and_never_reaches_the_error_queue()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);

        await broker.PublishAsync(new FeedbackReceived("never-seen-" + Guid.NewGuid().ToString("N"), domain, "stable", null, true, null));

        // By model version for the domain: none known without the request, so the version is empty.
        var accuracy = await IngestionTests.WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "", "accuracy", 1, ct);
        Assert.Equal(1, accuracy.GetProperty("successes").GetInt64());
        Assert.DoesNotContain("experimentation-feedback-received_error", await factory.VirtualHost.QueuesAsync());
    }
}
