using System.Globalization;

namespace DomainPlatform.Deployment.Domain;

/// <summary>
/// A domain's recent traffic over all its versions, as experimentation counted it: every request, and the ones the
/// models served themselves (not cached, not failed), which are the latency samples a canary step waits for.
/// </summary>
public sealed record TrafficRate(long Requests, long Served, double WindowSeconds)
{
    public double ServedPerSecond => WindowSeconds > 0 ? Served / WindowSeconds : 0;
}

/// <summary>What deployment knows of a domain's traffic before a step: a rate, or why there is none.</summary>
public sealed record TrafficReading(TrafficRate? Rate, string? Unknown)
{
    public static TrafficReading Of(TrafficRate rate) => new(rate, null);
    public static TrafficReading None(string why) => new(null, why);
}

/// <summary>
/// How long a step will take: null seconds with the reason when no rate is known; <see cref="Warning"/> set when the
/// step needs more than <see cref="StepEstimator.WarnAbove"/>, with what would bring it under.
/// </summary>
public sealed record StepEstimate(double? Seconds, string Reason, string? Warning);

/// <summary>
/// Estimates the duration of a canary step from the domain's served-request rate and the split: each side needs
/// minSamples samples in the step (the analysis compares both), and the step lasts at least its minimum duration.
/// Pure, so every case is unit-tested; the service reads the rate and stores the result.
/// </summary>
public static class StepEstimator
{
    public static readonly TimeSpan WarnAbove = TimeSpan.FromHours(1);

    public static StepEstimate Estimate(TrafficReading traffic, double weightPercent, long minSamples, TimeSpan minStepDuration)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        if (!(weightPercent > 0 && weightPercent < 100)) throw new ArgumentOutOfRangeException(nameof(weightPercent), weightPercent, "A canary step's weight lies above 0 and below 100.");
        if (traffic.Rate is not { } rate)
        {
            return new StepEstimate(null, $"no request rate known for the domain: {traffic.Unknown ?? "no traffic reading"}", null);
        }
        if (!(rate.ServedPerSecond > 0) || !double.IsFinite(rate.ServedPerSecond))
        {
            return new StepEstimate(null, F($"no request rate known for the domain: no served requests in the last {rate.WindowSeconds:F0} s"), null);
        }

        var perSecond = rate.ServedPerSecond;
        var canarySeconds = minSamples / (perSecond * weightPercent / 100);
        var stableSeconds = minSamples / (perSecond * (100 - weightPercent) / 100);
        var minimum = minStepDuration.TotalSeconds;
        var seconds = Math.Max(Math.Max(canarySeconds, stableSeconds), minimum);
        var reason = F($"{minSamples} samples a side at {weightPercent}% of {perSecond:G3} served requests/s ({rate.Served} in the last {rate.WindowSeconds:F0} s): ")
            + F($"the canary needs about {Duration(canarySeconds)}, the stable {Duration(stableSeconds)}; the step's minimum is {Duration(minimum)}");
        return new StepEstimate(Math.Round(seconds), reason, seconds > WarnAbove.TotalSeconds ? Warning(seconds, canarySeconds, stableSeconds, minimum, weightPercent, minSamples, perSecond) : null);
    }

    /// <summary>The smallest whole percentage at which the canary reaches its samples within the warning limit, or null when none below 50 does.</summary>
    public static double? WeightWithinLimit(double servedPerSecond, long minSamples)
    {
        if (!(servedPerSecond > 0)) return null;
        var weight = Math.Ceiling(100 * minSamples / (servedPerSecond * WarnAbove.TotalSeconds));
        var stableSeconds = minSamples / (servedPerSecond * (100 - weight) / 100);
        return weight is >= 1 and <= 50 && stableSeconds <= WarnAbove.TotalSeconds ? weight : null;
    }

    private static string Warning(double seconds, double canarySeconds, double stableSeconds, double minimum, double weight, long minSamples, double perSecond)
    {
        var head = F($"this step needs about {Duration(seconds)}, more than {Duration(WarnAbove.TotalSeconds)}");
        if (minimum >= Math.Max(canarySeconds, stableSeconds)) return head + F($": its minStepSeconds alone is {minimum:F0}");
        if (canarySeconds > stableSeconds && WeightWithinLimit(perSecond, minSamples) is { } better && better > weight)
        {
            return head + F($": at {weight}% the canary gets {minSamples} samples in about {Duration(canarySeconds)}; a weight of {better}% (firstWeight, or POST /api/rollouts/{{id}}/weight) would get them within an hour");
        }
        return head + F($": the domain's traffic ({perSecond:G3} served requests/s) cannot give {minSamples} samples a side within an hour at any weight; a smaller minSamples would");
    }

    /// <summary>A duration as an operator reads it: seconds, minutes or hours.</summary>
    public static string Duration(double seconds) => seconds switch
    {
        double.PositiveInfinity => "forever",
        < 120 => F($"{seconds:F0} s"),
        < 7200 => F($"{seconds / 60:F0} min"),
        _ => F($"{seconds / 3600:F1} h"),
    };

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
