using System.Globalization;

namespace DomainPlatform.Deployment.Domain;

/// <summary>What a rollout's start names itself (null: not named).</summary>
public sealed record RolloutRequestSettings(IReadOnlyList<double>? Steps, double? MinStepSeconds, long? MinSamples, double? FirstWeight = null);

/// <summary>A rollout's effective settings, each with where it came from ("rollout", "domain" or "platform").</summary>
public sealed record ResolvedRolloutSettings(
    IReadOnlyList<double> Steps, double MinStepSeconds, long MinSamples, string StepsFrom, string MinStepSecondsFrom, string MinSamplesFrom)
{
    public RolloutPolicy Policy => new(Steps, TimeSpan.FromSeconds(MinStepSeconds), MinSamples);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"steps {string.Join(", ", Steps)} ({StepsFrom}), minStepSeconds {MinStepSeconds} ({MinStepSecondsFrom}), minSamples {MinSamples} ({MinSamplesFrom})");
}

/// <summary>
/// The one rule for rollout settings: a rollout's own value wins; else the domain's default rollout schedule
/// (<see cref="RolloutDefaults"/>); else the platform's (steps 1, 10, 50, 100; Deployment:DefaultMinStepDuration; for
/// minSamples the domain's rollback.minSamples). A first weight replaces the steps below it. The same minSamples is
/// what a step needs and what the analysis needs a side before it judges a metric.
/// </summary>
public static class RolloutSettings
{
    public const string FromRollout = "rollout";
    public const string FromDomain = "domain";
    public const string FromPlatform = "platform";
    public const string FromRollback = "domain rollback.minSamples";

    public static (ResolvedRolloutSettings? Settings, Dictionary<string, string[]> Errors) Resolve(
        RolloutRequestSettings request, DomainConfig domain, TimeSpan platformMinStep)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(domain);
        var defaults = domain.Rollout;
        var (steps, stepsFrom) = request.Steps is { } s ? (s, FromRollout)
            : defaults.Steps is { } d ? (d, FromDomain)
            : (RolloutPolicy.DefaultSteps, FromPlatform);
        var (minStep, minStepFrom) = request.MinStepSeconds is { } m ? (m, FromRollout)
            : defaults.MinStepSeconds is { } dm ? (dm, FromDomain)
            : (platformMinStep.TotalSeconds, FromPlatform);
        var (minSamples, minSamplesFrom) = request.MinSamples is { } n ? (n, FromRollout)
            : defaults.MinSamples is { } dn ? (dn, FromDomain)
            : (domain.Rollback.MinSamples, FromRollback);

        var errors = new Dictionary<string, string[]>();
        if (request.FirstWeight is { } first)
        {
            if (RolloutPolicy.WeightRefusal(first) is { } refusal) errors["firstWeight"] = [refusal];
            else
            {
                // Start at the larger weight, then go on with the planned steps above it.
                steps = [first, .. steps.Where(step => step > first)];
                stepsFrom = $"firstWeight {first.ToString(CultureInfo.InvariantCulture)}, then {stepsFrom}";
            }
        }
        foreach (var (field, messages) in RolloutPolicy.Validate(steps, minStep, minSamples))
        {
            // Name the field where the bad value came from, so the operator knows what to change.
            var source = field switch { "steps" => stepsFrom, "minStepSeconds" => minStepFrom, _ => minSamplesFrom };
            var name = source == FromDomain ? $"rollout.{field} (the domain's default)" : source == FromRollback ? "rollback.minSamples (the domain's)" : field;
            errors[field] = [messages[0] + (name == field ? "" : $" It comes from {name}.")];
        }
        if (errors.Count > 0) return (null, errors);
        return (new ResolvedRolloutSettings(steps.ToArray(), minStep, minSamples, stepsFrom, minStepFrom, minSamplesFrom), errors);
    }
}
