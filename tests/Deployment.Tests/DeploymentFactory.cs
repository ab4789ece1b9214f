using DomainPlatform.TestSupport;

namespace DomainPlatform.Deployment.Tests;

/// <summary>The service against its own database, vhost and Redis prefix, with scripted fakes of inference and experimentation.</summary>
public class DeploymentFactory() : ServiceFactory<Program>("deploymentdb")
{
    public FakeRemotes Remotes { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Remotes = await FakeRemotes.StartAsync();
    }

    protected virtual string CachePrefix => Database.Name;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("services:experimentation:grpc:0", Remotes.Address),
        new("services:inference:grpc:0", Remotes.Address),
        new("Deployment:RolloutPollInterval", "00:00:00.100"),
        new("Deployment:DefaultMinStepDuration", "00:00:00"),
        // Watches after a promotion are checked at every pass; FakeRemotes answers them apart (WatchVerdict).
        new("Deployment:WatchCheckInterval", "00:00:00"),
        new("Deployment:CacheKeyPrefix", CachePrefix),
        new("Deployment:UnloadGracePeriod", UnloadGracePeriod),
    ];

    /// <summary>No grace by default: there is no gateway in these tests to wait for.</summary>
    protected virtual string UnloadGracePeriod => "00:00:00";

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            await Remotes.DisposeAsync();
        }
    }
}

/// <summary>
/// One replica of a deployment whose database, Redis prefix and vhost are shared with other replicas: for
/// restart and race tests. The database outlives the replica (the test owns it).
/// </summary>
public sealed class DeploymentReplica(SharedDeployment shared) : DeploymentFactory
{
    protected override string CachePrefix => shared.Database.Name;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. base.Settings,
        new("ConnectionStrings:deploymentdb", shared.Database.ConnectionString()),
        new("ConnectionStrings:redis", $"{TestInfrastructure.Redis},defaultDatabase={shared.RedisDatabase}"),
        new("ConnectionStrings:eventbus", shared.VirtualHost.AmqpUri),
        new("services:experimentation:grpc:0", shared.Remotes.Address),
        new("services:inference:grpc:0", shared.Remotes.Address),
    ];
}

/// <summary>What replicas share: the database, a vhost, a Redis database and the fake remotes.</summary>
public sealed class SharedDeployment : IAsyncDisposable
{
    public TestDatabase Database { get; } = new();
    public TestVirtualHost VirtualHost { get; private init; } = null!;
    public FakeRemotes Remotes { get; private init; } = null!;
    public int RedisDatabase { get; } = 1 + Random.Shared.Next(15);

    public static async Task<SharedDeployment> CreateAsync() =>
        new() { VirtualHost = await TestVirtualHost.CreateAsync(), Remotes = await FakeRemotes.StartAsync() };

    public async Task<DeploymentReplica> StartReplicaAsync()
    {
        var replica = new DeploymentReplica(this);
        await replica.InitializeAsync();
        replica.CreateClient();
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        await Remotes.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
