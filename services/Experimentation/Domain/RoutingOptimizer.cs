using MathNet.Numerics.Distributions;

namespace DomainPlatform.Experimentation.Domain;

public sealed class RoutingOptions
{
    /// <summary>RoutingWeightsUpdated goes out at most this often.</summary>
    public int PublishIntervalSeconds { get; set; } = 60;

    /// <summary>Reward lost per second of latency.</summary>
    public double LatencyPenaltyPerSecond { get; set; } = 0.05;

    /// <summary>Thompson draws behind each set of weights.</summary>
    public int Draws { get; set; } = 4000;

    public bool IsValid() => PublishIntervalSeconds > 0 && LatencyPenaltyPerSecond >= 0 && Draws is >= 100 and <= 1_000_000;
}

/// <summary>What the optimizer knows of one domain.</summary>
public sealed record RoutingStats
{
    public string Domain { get; init; } = "";
    public long Decisions { get; init; }
    public long RewardCount { get; init; }
    public double RewardSum { get; init; }
    public long AccuracyCount { get; init; }
    public double AccuracySum { get; init; }
    public long LatencyCount { get; init; }
    public double LatencySum { get; init; }
}

/// <summary>
/// Thompson sampling over domains: each domain's reward in [0, 1] has a Beta(1 + Σr, 1 + n − Σr) posterior (fractional
/// Bernoulli updates); a domain's weight is the share of posterior draws in which it has the highest reward.
/// </summary>
public static class RoutingOptimizer
{
    /// <summary>Accuracy (feedback score) minus the latency penalty, kept in [0, 1].</summary>
    public static double Reward(double score, double? latencyMs, double penaltyPerSecond)
    {
        var penalty = latencyMs is { } ms && double.IsFinite(ms) && ms > 0 ? penaltyPerSecond * ms / 1000 : 0;
        return Math.Clamp(score - penalty, 0, 1);
    }

    public static IReadOnlyDictionary<string, double> Weights(IReadOnlyList<RoutingStats> domains, int draws, Random random)
    {
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        if (domains.Count == 0) return new Dictionary<string, double>();
        var posteriors = domains.Select(d => new Beta(1 + d.RewardSum, 1 + Math.Max(0, d.RewardCount - d.RewardSum), random)).ToArray();
        var wins = new long[domains.Count];
        for (var draw = 0; draw < draws; draw++)
        {
            var best = 0;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < posteriors.Length; i++)
            {
                var value = posteriors[i].Sample();
                if (value > bestValue) (best, bestValue) = (i, value);
            }
            wins[best]++;
        }
        return domains.Select((d, i) => (d.Domain, Weight: (double)wins[i] / draws)).ToDictionary(x => x.Domain, x => x.Weight);
    }
}
