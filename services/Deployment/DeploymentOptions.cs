using System.ComponentModel.DataAnnotations;

namespace DomainPlatform.Deployment;

/// <summary>Settings under "Deployment", validated at start.</summary>
public sealed class DeploymentOptions
{
    public const string Section = "Deployment";

    /// <summary>How often the rollout controller looks for rollouts to analyse.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RolloutPollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a replica owns a rollout it is analysing; another replica takes over after it expires.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RolloutLease { get; set; } = TimeSpan.FromSeconds(60);

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AnalysisTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Loading a large GGUF file can take minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LoadModelTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Default minimum duration of a canary step for rollouts that do not name one.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan DefaultMinStepDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a version no route serves any more stays loaded: gateway replicas route by the old table until
    /// RouteTableChanged reaches them, and a request they send meanwhile must still find the model.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan UnloadGracePeriod { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How far back a domain's request rate is counted for the estimate of a canary step's duration.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan RequestRateWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often a version under its post-promotion watch is checked against the previous stable's baseline.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan WatchCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Runs the rollout controller and the post-promotion watch in this replica.</summary>
    public bool RolloutControllerEnabled { get; set; } = true;

    /// <summary>Prefix of the Redis cache keys; replicas of one deployment share it, separate deployments (or test runs) on one Redis do not.</summary>
    [Required, RegularExpression("^[A-Za-z0-9:_-]{1,64}$")]
    public string CacheKeyPrefix { get; set; } = "deployment";
}
