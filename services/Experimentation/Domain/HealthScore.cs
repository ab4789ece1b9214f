namespace DomainPlatform.Experimentation.Domain;

/// <summary>A domain's service-level targets over a window of <see cref="WindowSeconds"/>.</summary>
public sealed record SlaTargets(double LatencyP95Ms, double MaxErrorRate, double MinAvailability, double? MinAccuracy, int WindowSeconds);

/// <summary>The targets an SLA sets, by the name violations and alerts carry.</summary>
public static class SlaTargetNames
{
    public const string LatencyP95 = "latency_p95_ms";
    public const string ErrorRate = "error_rate";
    public const string Availability = "availability";
    public const string Accuracy = "accuracy";
    public static readonly IReadOnlyList<string> All = [Accuracy, LatencyP95, ErrorRate, Availability];

    /// <summary>The metric of an SLA alert ("sla:latency_p95_ms"), apart from the monitor's own error_rate and latency_ms levels.</summary>
    public static string AlertMetric(string target) => "sla:" + target;
}

/// <summary>Settings of health scores and SLA violations (<c>Health:</c>).</summary>
public sealed class HealthOptions
{
    public double AccuracyWeight { get; set; } = 0.25;
    public double LatencyWeight { get; set; } = 0.25;
    public double ErrorRateWeight { get; set; } = 0.25;
    public double AvailabilityWeight { get; set; } = 0.25;
    /// <summary>The level of the alert a violation raises (its end raises INFO).</summary>
    public string ViolationAlertLevel { get; set; } = AlertLevels.Warning;
    public double DefaultLatencyP95Ms { get; set; } = 3000;
    public double DefaultMaxErrorRate { get; set; } = 0.05;
    public double DefaultMinAvailability { get; set; } = 0.99;
    public int DefaultWindowSeconds { get; set; } = 300;

    public SlaTargets Defaults => new(DefaultLatencyP95Ms, DefaultMaxErrorRate, DefaultMinAvailability, null, DefaultWindowSeconds);

    public double WeightOf(string target) => target switch
    {
        SlaTargetNames.Accuracy => AccuracyWeight,
        SlaTargetNames.LatencyP95 => LatencyWeight,
        SlaTargetNames.ErrorRate => ErrorRateWeight,
        _ => AvailabilityWeight,
    };

    public bool IsValid()
    {
        double[] weights = [AccuracyWeight, LatencyWeight, ErrorRateWeight, AvailabilityWeight];
        return weights.All(w => double.IsFinite(w) && w >= 0) && weights.Sum() > 0
            && ViolationAlertLevel is AlertLevels.Warning or AlertLevels.Critical or AlertLevels.Emergency
            && HealthRules.Problems(DefaultLatencyP95Ms, DefaultMaxErrorRate, DefaultMinAvailability, null, DefaultWindowSeconds).Count == 0;
    }
}

/// <summary>One part of a health score: the figure, its target, its score in [0, 1] and whether the target is met.</summary>
public sealed record HealthComponent(string Target, double? Value, double? Threshold, double? Score, bool? Met, double Weight);

/// <summary>A target breached over the window, with the figures that show it.</summary>
public sealed record SlaBreach(string Target, double Value, double Threshold, string Reason);

public static class HealthStates
{
    public const string NoData = "no-data";
    public const string InsufficientData = "insufficient-data";
    public const string Met = "met";
    public const string Violated = "violated";
}

/// <summary>A version's health over a window: the score (0-100), its state against the SLA, its parts and breaches.</summary>
public sealed record HealthAssessment(double? Score, string State, IReadOnlyList<HealthComponent> Components, IReadOnlyList<SlaBreach> Breaches);

/// <summary>
/// The composite health score and SLA judgement; pure. Each part scores 1 when its target is met and falls with the
/// distance past it: latency <c>target / p95</c>; error rate <c>max / rate</c> (0 when the max is 0); availability
/// <c>(1 - min) / (1 - availability)</c> (the error budget over what was spent); accuracy <c>accuracy / min</c>, or the
/// accuracy itself when the SLA sets no minimum. The score is 100 × the weighted mean of the parts that have data
/// (accuracy needs judged responses, latency served requests). A target is judged, and can be breached, only with at
/// least <c>minimumSamples</c> requests (judged responses for accuracy); state is no-data without requests,
/// insufficient-data under the minimum, else violated or met.
/// </summary>
public static class HealthRules
{
    public const double MaxLatencyMs = 3_600_000;
    public const int MaxWindowSeconds = 86_400;

    /// <summary>What is wrong with targets, by field name; empty when they are good.</summary>
    public static Dictionary<string, string[]> Problems(double? latencyP95Ms, double? maxErrorRate, double? minAvailability, double? minAccuracy, int? windowSeconds)
    {
        var errors = new Dictionary<string, string[]>();
        if (latencyP95Ms is not { } l || !double.IsFinite(l) || l <= 0 || l > MaxLatencyMs)
            errors["latencyP95Ms"] = [$"latencyP95Ms is required: the p95 latency target in ms, above 0 and at most {MaxLatencyMs}."];
        if (maxErrorRate is not { } e || !double.IsFinite(e) || e < 0 || e >= 1)
            errors["maxErrorRate"] = ["maxErrorRate is required: the highest acceptable error rate, from 0 to below 1."];
        if (minAvailability is not { } a || !double.IsFinite(a) || a <= 0 || a > 1)
            errors["minAvailability"] = ["minAvailability is required: the lowest acceptable availability, above 0 and at most 1."];
        if (minAccuracy is { } acc && (!double.IsFinite(acc) || acc < 0 || acc > 1))
            errors["minAccuracy"] = ["minAccuracy, when given, is from 0 to 1."];
        if (windowSeconds is { } w && (w < 10 || w > MaxWindowSeconds || w % 10 != 0))
            errors["windowSeconds"] = [$"windowSeconds is a multiple of 10 from 10 to {MaxWindowSeconds} (a day)."];
        return errors;
    }

    public static HealthAssessment Assess(WindowFigures f, SlaTargets t, HealthOptions weights, long minimumSamples)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(weights);
        var enough = f.Requests >= minimumSamples && f.Requests > 0;
        var components = new List<HealthComponent>
        {
            Part(SlaTargetNames.Accuracy, f.Accuracy, t.MinAccuracy, higherIsBetter: true, f.Judged >= minimumSamples && f.Judged > 0, weights),
            Part(SlaTargetNames.LatencyP95, f.Latency.P95Ms, t.LatencyP95Ms, higherIsBetter: false, enough, weights),
            Part(SlaTargetNames.ErrorRate, f.ErrorRate, t.MaxErrorRate, higherIsBetter: false, enough, weights),
            Part(SlaTargetNames.Availability, f.Availability, t.MinAvailability, higherIsBetter: true, enough, weights),
        };
        var scored = components.Where(c => c.Score is not null && c.Weight > 0).ToArray();
        var weight = scored.Sum(c => c.Weight);
        double? score = weight > 0 ? 100 * scored.Sum(c => c.Weight * c.Score!.Value) / weight : null;
        var breaches = components.Where(c => c.Met == false)
            .Select(c => new SlaBreach(c.Target, c.Value!.Value, c.Threshold!.Value, Reason(c, t.WindowSeconds, c.Target == SlaTargetNames.Accuracy ? f.Judged : f.Requests)))
            .ToArray();
        var state = f.Requests == 0 ? HealthStates.NoData
            : !enough ? HealthStates.InsufficientData
            : breaches.Length > 0 ? HealthStates.Violated
            : HealthStates.Met;
        return new HealthAssessment(score, state, components, breaches);
    }

    /// <summary>A part's score in [0, 1]; <paramref name="judged"/> says whether there is enough data to call the target met or not.</summary>
    private static HealthComponent Part(string target, double? value, double? threshold, bool higherIsBetter, bool judged, HealthOptions weights)
    {
        var weight = weights.WeightOf(target);
        if (value is not { } v) return new HealthComponent(target, null, threshold, null, null, weight);
        if (threshold is not { } t) return new HealthComponent(target, v, null, Math.Clamp(v, 0, 1), null, weight);
        var met = higherIsBetter ? v >= t : v <= t;
        double score;
        if (met) score = 1;
        else if (target == SlaTargetNames.Availability) score = (1 - t) / (1 - v);
        else if (higherIsBetter) score = t > 0 ? v / t : 1;
        else score = v > 0 ? t / v : 1;
        return new HealthComponent(target, v, t, Math.Clamp(score, 0, 1), judged ? met : null, weight);
    }

    private static string Reason(HealthComponent c, int windowSeconds, long samples)
    {
        var over = FormattableString.Invariant($"over {windowSeconds} s ({samples} {(c.Target == SlaTargetNames.Accuracy ? "judged responses" : "requests")})");
        return c.Target switch
        {
            SlaTargetNames.LatencyP95 => FormattableString.Invariant($"p95 latency {c.Value:0.#} ms above the SLA's {c.Threshold:0.#} ms {over}"),
            SlaTargetNames.ErrorRate => FormattableString.Invariant($"error rate {100 * c.Value:0.##}% above the SLA's {100 * c.Threshold:0.##}% {over}"),
            SlaTargetNames.Availability => FormattableString.Invariant($"availability {100 * c.Value:0.##}% below the SLA's {100 * c.Threshold:0.##}% {over}"),
            _ => FormattableString.Invariant($"accuracy {100 * c.Value:0.##}% below the SLA's {100 * c.Threshold:0.##}% {over}"),
        };
    }
}
