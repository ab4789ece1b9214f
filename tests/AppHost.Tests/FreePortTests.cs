using DomainPlatform.AppHost.Infrastructure;

namespace DomainPlatform.AppHost.Tests;

public sealed class FreePortTests
{
    [Fact]
    public void A_port_is_never_handed_out_twice_in_one_process_though_nothing_has_bound_it_yet()
    {
        // 300 picks from 5000 ports collide almost surely (birthday bound: 1 - e^(-9)) unless the picker remembers.
        var ports = Enumerable.Range(0, 300).Select(_ => FreePort.Pick()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 27_000, 31_999));
    }
}
