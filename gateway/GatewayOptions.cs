using System.ComponentModel.DataAnnotations;

namespace DomainPlatform.Gateway;

public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Where the bootstrap admin key is written (the launcher sets .platform/run/&lt;profile&gt;/admin-key).</summary>
    public string? AdminKeyFile { get; set; }

    /// <summary>Largest request body the gateway accepts, in bytes (413 beyond it).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Circuit breaking: how long an instance stays out of rotation once more than 30% of at least 10
    /// requests to it in a minute failed at the transport (YARP's TransportFailureRate policy).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = Routing.ProxyConfigBuilder.DefaultCircuitBreak;

    /// <summary>
    /// Longest silence from an inference destination before the gateway gives the request up (504 saying what to do). A
    /// streamed answer resets it with every chunk; a non-streamed one must be complete within it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan InferenceTimeout { get; set; } = Routing.ProxyConfigBuilder.InferenceTimeout;

    /// <summary>
    /// While gatewaydb is unreachable, a key this replica has seen active within this long is still accepted from its
    /// last good copy (a key it has not seen gets 503, never a guess); 0 turns this off. A key revoked meanwhile cannot
    /// be: revoking needs the database too.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan KnownKeysDuringOutage { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// After a Redis command of the request path fails (rate limits, response cache), how long requests do without Redis,
    /// not even trying it, before one request probes it again (<see cref="Limits.RedisCircuit"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:05:00")]
    public TimeSpan RedisRetry { get; set; } = TimeSpan.FromSeconds(5);
}
