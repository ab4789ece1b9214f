using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace DomainPlatform.Statistics.Tests;

public class BayesianTests
{
    [Theory]
    [InlineData(20, 3, 20, 8)]
    [InlineData(100, 10, 120, 18)]
    [InlineData(500, 60, 480, 45)]
    [InlineData(20_000, 2000, 20_000, 2100)]
    public void Probability_to_beat_control_matches_the_exact_Beta_sum(int controlTrials, int controlSuccesses, int treatmentTrials, int treatmentSuccesses)
    {
        var control = new BinarySummary(controlTrials, controlSuccesses);
        var treatment = new BinarySummary(treatmentTrials, treatmentSuccesses);
        var results = BayesianComparison.CompareRates([control, treatment]);

        var exact = ExactProbabilityBBeatsA(1 + controlSuccesses, 1 + controlTrials - controlSuccesses, 1 + treatmentSuccesses, 1 + treatmentTrials - treatmentSuccesses);
        Assert.Equal(exact, results[1].ProbabilityToBeatControl, 9);

        // With two arms, "best" and "beats control" are the same event.
        Assert.Equal(exact, results[1].ProbabilityToBeBest, 9);
        Assert.Equal(1 - exact, results[0].ProbabilityToBeBest, 9);
    }

    [Fact]
    public void Posterior_is_the_conjugate_beta()
    {
        var posterior = BetaPosterior.FromData(new BinarySummary(100, 30), priorAlpha: 2, priorBeta: 3);
        Assert.Equal(32, posterior.Alpha);
        Assert.Equal(73, posterior.Beta);
        Assert.Equal(32.0 / 105, posterior.Mean, 14);

        var interval = posterior.CredibleInterval(0.95);
        Assert.Equal(0.025, posterior.Cdf(interval.Lower), 10);
        Assert.Equal(0.975, posterior.Cdf(interval.Upper), 10);
    }

    [Fact]
    public void Three_arm_probabilities_and_losses_agree_with_a_seeded_Monte_Carlo()
    {
        BinarySummary[] arms = [new(1000, 100), new(1000, 115), new(1000, 108)];
        var results = BayesianComparison.CompareRates(arms);

        // 200,000 draws: Monte Carlo standard error at most 0.0011 on the probabilities, 0.00003 on the losses.
        const int draws = 200_000;
        var random = new Random(2024);
        var betas = arms.Select(a => new Beta(1 + a.Successes, 1 + a.Failures, random)).ToArray();
        var best = new int[3];
        var beat = new int[3];
        var lossVersusControl = new double[3];
        var loss = new double[3];
        for (var d = 0; d < draws; d++)
        {
            var x = betas.Select(b => b.Sample()).ToArray();
            var max = x.Max();
            best[Array.IndexOf(x, max)]++;
            for (var a = 0; a < 3; a++)
            {
                beat[a] += x[a] > x[0] ? 1 : 0;
                lossVersusControl[a] += Math.Max(x[0] - x[a], 0);
                loss[a] += max - x[a];
            }
        }

        for (var a = 0; a < 3; a++)
        {
            Assert.Equal(best[a] / (double)draws, results[a].ProbabilityToBeBest, 0.005);
            Assert.Equal(loss[a] / draws, results[a].ExpectedLoss, 0.0003);
            if (a > 0)
            {
                Assert.Equal(beat[a] / (double)draws, results[a].ProbabilityToBeatControl, 0.005);
                Assert.Equal(lossVersusControl[a] / draws, results[a].ExpectedLossVersusControl, 0.0003);
            }
        }

        Assert.Equal(1, results.Sum(r => r.ProbabilityToBeBest), 9);
        Assert.Equal(1, results.MaxBy(r => r.ProbabilityToBeBest)!.Index);
    }

    [Fact]
    public void Normal_model_uses_closed_forms_that_match_integration()
    {
        var control = ContinuousSummary.FromMoments(400, 10, 25);
        var treatment = ContinuousSummary.FromMoments(400, 10.4, 25);
        var results = BayesianComparison.CompareMeans([control, treatment]);

        // D ~ N(0.4, 25/400 + 25/400): P(D > 0) = Φ(0.4/√0.125), loss = √V φ(z) − Δ Φ(−z).
        var sd = Math.Sqrt(0.125);
        var z = 0.4 / sd;
        Assert.Equal(Distributions.NormalCdf(z), results[1].ProbabilityToBeatControl, 12);
        Assert.Equal(sd * Distributions.NormalDensity(z) - 0.4 * Distributions.NormalCdf(-z), results[1].ExpectedLossVersusControl, 12);

        // The integrated P(best) of two arms equals the closed-form P(beat).
        Assert.Equal(results[1].ProbabilityToBeatControl, results[1].ProbabilityToBeBest, 9);
        Assert.Equal(results[1].ExpectedLossVersusControl, results[1].ExpectedLoss, 9);
    }

    [Fact]
    public void Lower_is_better_turns_the_comparison_around()
    {
        var control = ContinuousSummary.FromMoments(200, 500, 10_000);
        var faster = ContinuousSummary.FromMoments(200, 470, 10_000);
        var higher = BayesianComparison.CompareMeans([control, faster]);
        var lower = BayesianComparison.CompareMeans([control, faster], MetricDirection.LowerIsBetter);

        Assert.Equal(1 - higher[1].ProbabilityToBeatControl, lower[1].ProbabilityToBeatControl, 12);
        Assert.True(lower[1].ProbabilityToBeBest > 0.99);
        Assert.True(lower[1].ExpectedLoss < higher[1].ExpectedLoss);
    }

    [Fact]
    public void Ten_million_observations_are_analysed_from_sufficient_statistics()
    {
        BinarySummary[] arms = [new(10_000_000, 1_000_000), new(10_000_000, 1_001_500)];
        var results = BayesianComparison.CompareRates(arms);

        // Posteriors this tight are normal to within the tolerance used here.
        var difference = 0.00015;
        var sd = Math.Sqrt(0.1 * 0.9 / 1e7 + 0.10015 * 0.89985 / 1e7);
        Assert.Equal(Distributions.NormalCdf(difference / sd), results[1].ProbabilityToBeatControl, 3);
        Assert.Equal(1, results.Sum(r => r.ProbabilityToBeBest), 6);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => BayesianComparison.CompareRates([new(10, 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BayesianComparison.Compare([new BetaPosterior(1, 1), new BetaPosterior(1, 1)], controlIndex: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BetaPosterior(0, 1));
        Assert.Throws<ArgumentException>(() => NormalPosterior.FromData(ContinuousSummary.FromMoments(10, 1, 0)));
    }

    // Evan Miller's closed form for integer parameters: P(p_B > p_A) = Σ_{i<α_B} B(α_A+i, β_A+β_B) / ((β_B+i) B(1+i, β_B) B(α_A, β_A)).
    private static double ExactProbabilityBBeatsA(int alphaA, int betaA, int alphaB, int betaB)
    {
        var total = 0.0;
        for (var i = 0; i < alphaB; i++)
        {
            total += Math.Exp(SpecialFunctions.BetaLn(alphaA + i, betaA + betaB) - Math.Log(betaB + i)
                              - SpecialFunctions.BetaLn(1 + i, betaB) - SpecialFunctions.BetaLn(alphaA, betaA));
        }

        return total;
    }
}
