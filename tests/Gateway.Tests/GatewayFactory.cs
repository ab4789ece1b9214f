using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// The gateway in-process on real infrastructure, with real loopback backends for deployment,
/// experimentation, extraction and inference, and training registered at an address where nothing listens.
/// </summary>
public sealed class GatewayFactory() : ServiceFactory<Program>("gatewaydb")
{
    private readonly List<FakeBackend> _backends = [];
    private readonly string _deadTraining = FakeBackend.DeadUrl();

    public override async ValueTask InitializeAsync()
    {
        foreach (var name in new[] { "deployment", "experimentation", "extraction", "inference" })
        {
            _backends.Add(await FakeBackend.StartAsync(name));
        }
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. _backends.Select(b => new KeyValuePair<string, string>($"services:{b.Name}:http:0", b.Url)),
        new("services:training:http:0", _deadTraining),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var backend in _backends) await backend.DisposeAsync();
    }
}
