using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DomainPlatform.EventBus.Tests;

public sealed class UsageTelemetryTests
{
    [Fact]
    public void The_event_bus_switches_masstransit_usage_telemetry_off()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:eventbus"] = "amqp://guest:guest@127.0.0.1:5672/telemetry",
        });
        builder.AddEventBus("telemetry-test");
        using var host = builder.Build();

        Assert.False(host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }

    [Fact]
    public void Masstransit_alone_would_report_usage()
    {
        // Shows the assertion above is not vacuous: without the switch the default is on.
        var services = new ServiceCollection();
        services.AddMassTransit(bus => bus.UsingInMemory());
        using var provider = services.BuildServiceProvider();

        Assert.True(provider.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}
