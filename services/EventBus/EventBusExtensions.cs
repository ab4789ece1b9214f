using DomainPlatform.Contracts;
using DomainPlatform.Persistence;
using MassTransit;
using Npgsql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace DomainPlatform.EventBus;

public static class EventBusExtensions
{
    public const string ConnectionName = "eventbus";

    /// <summary>The name of the health check that says whether the broker answers.</summary>
    public const string BrokerHealthCheckName = "rabbitmq";

    /// <summary>The waits between tries of a message whose handler's database is away: 0.5 s doubling to a minute, about 10 minutes in all.</summary>
    public static readonly TimeSpan[] TransientRetryIntervals =
        [.. new[] { 0.5, 1, 2, 4, 8, 16, 32 }.Select(TimeSpan.FromSeconds), .. Enumerable.Repeat(TimeSpan.FromMinutes(1), 9)];

    /// <summary>
    /// The waits between tries of a message whose handler waits for another event (<see cref="EventNotYetArrivedException"/>):
    /// about 20 s in all, longer than any consumer may wait (<see cref="LongestEventWait"/>), so the last try always finds
    /// the wait over and the handler decides without the other event instead of the message going to the error queue.
    /// </summary>
    public static readonly TimeSpan[] EventWaitRetryIntervals =
        [.. new[] { 0.5, 1, 1, 2, 2, 2, 3, 3, 3, 3 }.Select(TimeSpan.FromSeconds)];

    /// <summary>The longest a handler may wait for another event before deciding without it.</summary>
    public static readonly TimeSpan LongestEventWait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Connects the service to RabbitMQ (<c>ConnectionStrings:eventbus</c>, an amqp:// URI) through
    /// MassTransit with the raw JSON serializer, registers <paramref name="configureConsumers"/> on
    /// queues prefixed with <paramref name="serviceName"/>, and adds the Postgres outbox dispatcher.
    /// Requires <see cref="PostgresExtensions.AddPostgresDatabase"/> for the outbox and inbox tables.
    /// </summary>
    public static IHostApplicationBuilder AddEventBus(
        this IHostApplicationBuilder builder, string serviceName, Action<IBusRegistrationConfigurator>? configureConsumers = null)
    {
        var broker = Broker(builder.Configuration);

        builder.Services.AddSingleton(new MigrationSource(typeof(EventBusExtensions).Assembly));
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxState>();
        builder.Services.AddHostedService<OutboxDispatcher>();
        // Degraded while rows are set aside (docs/events.md#the-outbox).
        builder.Services.AddHealthChecks().AddCheck<OutboxHealthCheck>("outbox");
        // Unhealthy while the broker is away, in every service, publishing only or consuming too.
        builder.Services.AddSingleton(_ => new BrokerHealthCheck(broker, serviceName));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            BrokerHealthCheckName, sp => sp.GetRequiredService<BrokerHealthCheck>(), HealthStatus.Unhealthy, ["ready"]));

        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit 8.4+ reports the bus's shape to its vendor unless told not to; the platform sends nothing out.
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(serviceName, includeNamespace: false));
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, cfg) =>
            {
                UseBroker(cfg, broker, serviceName);
                // A handler's own error is retried 5 times within about 9 s, then the message goes to the _error queue.
                cfg.UseMessageRetry(r =>
                {
                    r.Ignore<NpgsqlException>(e => e.IsTransient);
                    r.Ignore<TimeoutException>();
                    r.Ignore<EventNotYetArrivedException>();
                    r.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(300));
                });
                // A handler waiting for another event (feedback before its request's outcome) is tried again until its
                // wait is over: 5 exponential retries (about 9 s) once ended a 10 s wait early, and such feedback went to
                // the error queue instead of being counted (the nine FeedbackReceived the outage drills found there).
                cfg.UseMessageRetry(r =>
                {
                    r.Handle<EventNotYetArrivedException>();
                    r.Intervals(EventWaitRetryIntervals);
                });
                // Its database away (a restart, a failover) is waited out for about 10 minutes (docs/events.md), so an
                // outage no longer dead-letters every event that arrives during it.
                cfg.UseMessageRetry(r =>
                {
                    r.Handle<NpgsqlException>(e => e.IsTransient);
                    r.Handle<TimeoutException>();
                    r.Intervals(TransientRetryIntervals);
                });
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>
    /// Subscribes a process that keeps no state of its own (the console) to <paramref name="events"/>, without a database:
    /// each event type gets a queue of this process's own (<c>{serviceName}-{random}-{event}</c>: a raw JSON body names no
    /// type, so one queue per exchange), not durable and deleted when the process goes (it needs only what happens while it
    /// runs), taking one message at a time. Every event goes to <typeparamref name="TReceiver"/> (a singleton the caller
    /// registers). No outbox, no inbox, no retries: a receiver that throws loses that message. While RabbitMQ is away the
    /// process starts and runs, the bus reconnects in the background and its health check reports Degraded (not
    /// Unhealthy); each time a queue consumes again the receiver hears <see cref="IEventReceiver.Resumed"/>.
    /// </summary>
    public static IHostApplicationBuilder AddEventSubscriber<TReceiver>(this IHostApplicationBuilder builder, string serviceName, IReadOnlyList<Type> events)
        where TReceiver : class, IEventReceiver
    {
        var broker = Broker(builder.Configuration);
        var instance = $"{serviceName}-{Guid.NewGuid():N}";
        var consumers = events.ToDictionary(e => e, e => typeof(ReceivingConsumer<,>).MakeGenericType(e, typeof(TReceiver)));

        builder.Services.AddMassTransit(bus =>
        {
            bus.DisableUsageTelemetry();
            bus.ConfigureHealthCheckOptions(health => health.MinimalFailureStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded);
            foreach (var consumer in consumers.Values) bus.AddConsumer(consumer);
            bus.UsingRabbitMq((context, cfg) =>
            {
                UseBroker(cfg, broker, serviceName);
                var resumed = new ResumedObserver(context.GetRequiredService<TReceiver>());
                foreach (var (evt, consumer) in consumers)
                {
                    cfg.ReceiveEndpoint($"{instance}-{EventCatalog.NameOf(evt).Split('.')[^1]}", endpoint =>
                    {
                        endpoint.Durable = false;
                        endpoint.AutoDelete = true;
                        endpoint.ConcurrentMessageLimit = 1;
                        endpoint.ConnectReceiveEndpointObserver(resumed);
                        endpoint.ConfigureConsumer(context, consumer);
                    });
                }
            });
        });
        return builder;
    }

    private static AmqpAddress Broker(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Connection string '{ConnectionName}' is missing: set ConnectionStrings__{ConnectionName} to amqp://user:password@host:port/vhost.");
        }
        return AmqpAddress.Parse(connectionString);
    }

    /// <summary>The broker, names and serialization every platform process uses, publisher or subscriber.</summary>
    private static void UseBroker(IRabbitMqBusFactoryConfigurator cfg, AmqpAddress broker, string serviceName)
    {
        cfg.Host(broker.Host, broker.Port, broker.VirtualHost, h =>
        {
            h.Username(broker.Username);
            h.Password(broker.Password);
            h.ConnectionName(serviceName);
        });
        cfg.MessageTopology.SetEntityNameFormatter(new EventNameFormatter(cfg.MessageTopology.EntityNameFormatter));
        // Plain JSON bodies so a consumer in any language reads the event without an envelope.
        cfg.ClearSerialization();
        cfg.UseRawJsonSerializer(RawSerializerOptions.All, isDefault: true);
        // Every event's exchange exists once any service has started, so a consumer in another team can bind
        // its queue before the first event of a kind is published (docs/events.md).
        foreach (var type in EventCatalog.All) cfg.PublishTopology.GetMessageTopology(type);
        cfg.DeployPublishTopology = true;
    }
}
