namespace DomainPlatform.TestSupport;

/// <summary>
/// Addresses of the real Postgres, Redis and RabbitMQ that <c>./platform test</c> starts and exports.
/// </summary>
public static class TestInfrastructure
{
    public static string Postgres => Require("PLATFORM_TEST_POSTGRES");
    public static string Redis => Require("PLATFORM_TEST_REDIS");

    /// <summary>amqp://user:password@host:port, without a virtual host.</summary>
    public static string RabbitMq => Require("PLATFORM_TEST_RABBITMQ").TrimEnd('/');

    /// <summary>http://user:password@host:port of the RabbitMQ management API.</summary>
    public static string RabbitMqManagement => Require("PLATFORM_TEST_RABBITMQ_MANAGEMENT").TrimEnd('/');

    /// <summary>The repository root (where <c>./platform</c> lives).</summary>
    public static string RepositoryRoot =>
        Environment.GetEnvironmentVariable("PLATFORM_ROOT") is { Length: > 0 } root ? root : FindRoot(AppContext.BaseDirectory);

    public static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: run the tests through `./platform test`, which starts Postgres, Redis and RabbitMQ and exports it.");

    private static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DomainPlatform.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No DomainPlatform.sln above {start}; set PLATFORM_ROOT.");
    }
}
