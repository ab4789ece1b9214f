using System.Text.RegularExpressions;

namespace DomainPlatform.Deployment.Domain;

/// <summary>What a new model version must reach before it may take traffic.</summary>
public sealed record DeploymentGates
{
    public double MinAccuracy { get; init; } = 0.85;
    public double MaxLatencyMs { get; init; } = 500;
    public double MaxTrainingLoss { get; init; } = 0.3;
    public double MaxValidationLoss { get; init; } = 0.35;
}

/// <summary>
/// When a canary is rolled back: relative to the stable version over the same window, except <see cref="MaxErrorRate"/>,
/// a separate absolute ceiling (1 = none).
/// </summary>
public sealed record RollbackThresholds
{
    public double MaxAccuracyDrop { get; init; } = 0.05;
    public double MaxLatencyRatio { get; init; } = 1.5;
    /// <summary>How far the canary's error rate may exceed the stable one's, in rate units (0.02 = 2 percentage points).</summary>
    public double MaxErrorRateIncrease { get; init; } = 0.02;
    /// <summary>Absolute ceiling on the canary's error rate whatever the stable does; 1 is none.</summary>
    public double MaxErrorRate { get; init; } = 1;
    public int MinSamples { get; init; } = 50;
    /// <summary>How long a version that became stable is watched against the previous stable's baseline (0: not watched).</summary>
    public double WatchSeconds { get; init; } = DefaultWatchSeconds;
    /// <summary>How far before the switch the previous stable's outcomes make the watch's baseline.</summary>
    public double WatchBaselineSeconds { get; init; } = DefaultWatchBaselineSeconds;

    public const double DefaultWatchSeconds = 1800;
    public const double MaxWatchSeconds = 7 * 24 * 3600;
    public const double DefaultWatchBaselineSeconds = 900;
    public const double MinWatchBaselineSeconds = 60;
    public const double MaxWatchBaselineSeconds = 24 * 3600;
}

/// <summary>
/// A domain's default rollout schedule: what a rollout that names none of these uses (null: the platform's default).
/// A rollout's own steps, minStepSeconds and minSamples override these.
/// </summary>
public sealed record RolloutDefaults
{
    public IReadOnlyList<double>? Steps { get; init; }
    public double? MinStepSeconds { get; init; }
    public long? MinSamples { get; init; }
}

/// <summary>The gateway's response cache for the domain.</summary>
public sealed record CacheSettings
{
    public bool Enabled { get; init; } = true;
    public int TtlSeconds { get; init; } = 300;
}

/// <summary>Everything about a domain that a revision records.</summary>
public sealed record DomainConfig
{
    public string Name { get; init; } = "";
    public string? AgentId { get; init; }
    public string? Layer { get; init; }
    public string? Team { get; init; }
    public IReadOnlyList<string> Keywords { get; init; } = [];
    public string? BaseModel { get; init; }
    public int MaxTokens { get; init; } = 512;
    public DeploymentGates Gates { get; init; } = new();
    public RollbackThresholds Rollback { get; init; } = new();
    public CacheSettings Cache { get; init; } = new();
    public RolloutDefaults Rollout { get; init; } = new();
}

public sealed record DeploymentGatesPatch(double? MinAccuracy, double? MaxLatencyMs, double? MaxTrainingLoss, double? MaxValidationLoss);
public sealed record RollbackThresholdsPatch(
    double? MaxAccuracyDrop, double? MaxLatencyRatio, double? MaxErrorRate, int? MinSamples, double? MaxErrorRateIncrease = null,
    double? WatchSeconds = null, double? WatchBaselineSeconds = null);
public sealed record CacheSettingsPatch(bool? Enabled, int? TtlSeconds);
public sealed record RolloutDefaultsPatch(IReadOnlyList<double>? Steps, double? MinStepSeconds, long? MinSamples);

/// <summary>A partial change: absent (null) fields keep their value.</summary>
public sealed record DomainPatch(
    string? Name, string? AgentId, string? Layer, string? Team, IReadOnlyList<string>? Keywords, string? BaseModel, int? MaxTokens,
    DeploymentGatesPatch? Gates, RollbackThresholdsPatch? Rollback, CacheSettingsPatch? Cache, RolloutDefaultsPatch? Rollout = null);

/// <summary>Validation and patching of domain configuration, kept pure so every rule is unit-tested.</summary>
public static partial class DomainRules
{
    public const int MaxTokensLimit = 32_768;
    public const int MaxTextLength = 200;
    public const int MaxCacheTtlSeconds = 7 * 24 * 3600;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    public static Dictionary<string, string[]> ValidateId(string? id)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(id)) errors["id"] = ["An id is required, like \"0x5678-SQLAgent\"."];
        else if (!IdPattern().IsMatch(id)) errors["id"] = ["An id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."];
        return errors;
    }

    public static Dictionary<string, string[]> Validate(DomainConfig config)
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string message) =>
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

        if (string.IsNullOrWhiteSpace(config.Name)) Add("name", "A name is required.");
        else if (TextRefusal(config.Name) is { } why) Add("name", $"name {why}");
        // Optional labels: absent is fine, but a given one is real text.
        foreach (var (field, value) in new[] { ("agentId", config.AgentId), ("baseModel", config.BaseModel), ("layer", config.Layer), ("team", config.Team) })
        {
            if (value is null) continue;
            if (string.IsNullOrWhiteSpace(value)) Add(field, $"{field} cannot be empty or blank; leave it out instead.");
            else if (TextRefusal(value) is { } why) Add(field, $"{field} {why}");
        }
        if (config.MaxTokens is < 1 or > MaxTokensLimit) Add("maxTokens", $"maxTokens must be between 1 and {MaxTokensLimit}.");
        if (config.Keywords.Any(string.IsNullOrWhiteSpace)) Add("keywords", "Keywords cannot be blank.");
        else if (config.Keywords.Select(TextRefusal).FirstOrDefault(w => w is not null) is { } keywordWhy) Add("keywords", $"A keyword {keywordWhy}");
        if (config.Keywords.Count > 100) Add("keywords", "At most 100 keywords.");

        var gates = config.Gates;
        if (!IsFraction(gates.MinAccuracy)) Add("gates.minAccuracy", "minAccuracy is a fraction between 0 and 1.");
        if (!(gates.MaxLatencyMs > 0) || double.IsInfinity(gates.MaxLatencyMs)) Add("gates.maxLatencyMs", "maxLatencyMs must be above 0.");
        if (!(gates.MaxTrainingLoss >= 0) || double.IsInfinity(gates.MaxTrainingLoss)) Add("gates.maxTrainingLoss", "maxTrainingLoss cannot be negative.");
        if (!(gates.MaxValidationLoss >= 0) || double.IsInfinity(gates.MaxValidationLoss)) Add("gates.maxValidationLoss", "maxValidationLoss cannot be negative.");

        var rollback = config.Rollback;
        // The canary analysis refuses limits outside these ranges: a domain holding one could never finish a rollout.
        if (!(rollback.MaxAccuracyDrop is >= 0 and < 1)) Add("rollback.maxAccuracyDrop", "maxAccuracyDrop is a fraction from 0 up to (not including) 1.");
        if (!(rollback.MaxLatencyRatio >= 1) || double.IsInfinity(rollback.MaxLatencyRatio)) Add("rollback.maxLatencyRatio", "maxLatencyRatio must be at least 1.");
        if (!(rollback.MaxErrorRate is > 0 and <= 1)) Add("rollback.maxErrorRate", "maxErrorRate (the absolute ceiling) is a fraction above 0 and at most 1 (1: no ceiling).");
        if (!(rollback.MaxErrorRateIncrease is >= 0 and < 1)) Add("rollback.maxErrorRateIncrease", "maxErrorRateIncrease is a fraction from 0 up to (not including) 1 (0.02 = 2 percentage points above the stable's error rate).");
        if (rollback.MinSamples < 2) Add("rollback.minSamples", "minSamples must be at least 2 (a comparison needs two samples a side).");
        if (!(rollback.WatchSeconds is >= 0 and <= RollbackThresholds.MaxWatchSeconds))
            Add("rollback.watchSeconds", "watchSeconds is between 0 (no watch after a promotion) and 604800 (7 days).");
        if (!(rollback.WatchBaselineSeconds is >= RollbackThresholds.MinWatchBaselineSeconds and <= RollbackThresholds.MaxWatchBaselineSeconds))
            Add("rollback.watchBaselineSeconds", "watchBaselineSeconds is between 60 and 86400 (1 day): how far before a promotion the previous stable's outcomes count.");

        var rollout = config.Rollout;
        if (rollout.Steps is not null || rollout.MinStepSeconds is not null || rollout.MinSamples is not null)
        {
            // A domain's default schedule must itself make a valid rollout; unset parts are checked with the platform's.
            var check = RolloutPolicy.Validate(rollout.Steps ?? RolloutPolicy.DefaultSteps, rollout.MinStepSeconds ?? 0, rollout.MinSamples ?? RolloutPolicy.MinimumSamples);
            foreach (var (field, messages) in check) Add($"rollout.{field}", messages[0]);
        }

        if (config.Cache.TtlSeconds is < 0 or > MaxCacheTtlSeconds) Add("cache.ttlSeconds", $"ttlSeconds must be between 0 and {MaxCacheTtlSeconds}.");
        return errors;
    }

    private static bool IsFraction(double value) => value is >= 0 and <= 1;

    /// <summary>Why a name or label is refused: control characters (a tab, a newline, an escape) or more than <see cref="MaxTextLength"/> characters.</summary>
    public static string? TextRefusal(string text) =>
        text.Length > MaxTextLength ? $"has at most {MaxTextLength} characters."
        : text.Any(char.IsControl) ? "cannot hold control characters (tabs, newlines, escapes)."
        : null;

    public static DomainConfig Apply(DomainConfig config, DomainPatch patch) => config with
    {
        Name = patch.Name ?? config.Name,
        AgentId = patch.AgentId ?? config.AgentId,
        Layer = patch.Layer ?? config.Layer,
        Team = patch.Team ?? config.Team,
        Keywords = patch.Keywords ?? config.Keywords,
        BaseModel = patch.BaseModel ?? config.BaseModel,
        MaxTokens = patch.MaxTokens ?? config.MaxTokens,
        Gates = patch.Gates is not { } g ? config.Gates : config.Gates with
        {
            MinAccuracy = g.MinAccuracy ?? config.Gates.MinAccuracy,
            MaxLatencyMs = g.MaxLatencyMs ?? config.Gates.MaxLatencyMs,
            MaxTrainingLoss = g.MaxTrainingLoss ?? config.Gates.MaxTrainingLoss,
            MaxValidationLoss = g.MaxValidationLoss ?? config.Gates.MaxValidationLoss,
        },
        Rollback = patch.Rollback is not { } r ? config.Rollback : config.Rollback with
        {
            MaxAccuracyDrop = r.MaxAccuracyDrop ?? config.Rollback.MaxAccuracyDrop,
            MaxLatencyRatio = r.MaxLatencyRatio ?? config.Rollback.MaxLatencyRatio,
            MaxErrorRate = r.MaxErrorRate ?? config.Rollback.MaxErrorRate,
            MaxErrorRateIncrease = r.MaxErrorRateIncrease ?? config.Rollback.MaxErrorRateIncrease,
            MinSamples = r.MinSamples ?? config.Rollback.MinSamples,
            WatchSeconds = r.WatchSeconds ?? config.Rollback.WatchSeconds,
            WatchBaselineSeconds = r.WatchBaselineSeconds ?? config.Rollback.WatchBaselineSeconds,
        },
        Cache = patch.Cache is not { } c ? config.Cache : config.Cache with
        {
            Enabled = c.Enabled ?? config.Cache.Enabled,
            TtlSeconds = c.TtlSeconds ?? config.Cache.TtlSeconds,
        },
        Rollout = patch.Rollout is not { } o ? config.Rollout : config.Rollout with
        {
            Steps = o.Steps ?? config.Rollout.Steps,
            MinStepSeconds = o.MinStepSeconds ?? config.Rollout.MinStepSeconds,
            MinSamples = o.MinSamples ?? config.Rollout.MinSamples,
        },
    };

    /// <summary>Whether two configs are the same value (lists compared by content), so a no-op patch makes no revision.</summary>
    public static bool SameConfig(DomainConfig a, DomainConfig b) =>
        a with { Keywords = [], Rollout = a.Rollout with { Steps = null } } == b with { Keywords = [], Rollout = b.Rollout with { Steps = null } }
        && a.Keywords.SequenceEqual(b.Keywords, StringComparer.Ordinal)
        && (a.Rollout.Steps ?? []).SequenceEqual(b.Rollout.Steps ?? []) && (a.Rollout.Steps is null) == (b.Rollout.Steps is null);
}
