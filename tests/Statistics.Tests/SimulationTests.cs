using MathNet.Numerics.Distributions;

namespace DomainPlatform.Statistics.Tests;

/// <summary>
/// Error-rate checks by simulation with fixed seeds, so every run draws the same numbers. Normal samples are drawn
/// through their sufficient statistics (mean ~ N(μ, σ²/n), (n−1)s²/σ² ~ χ²(n−1)), which is exact for normal data.
/// </summary>
public class SimulationTests
{
    private const int Experiments = 10_000;
    private const double Alpha = 0.05;

    // 3.5 binomial standard deviations of a rejection rate measured over 10,000 experiments.
    private static double Tolerance(double rate) => 3.5 * Math.Sqrt(rate * (1 - rate) / Experiments);

    [Fact]
    public void Fixed_horizon_Welch_test_on_A_A_experiments_rejects_at_alpha()
    {
        var random = new Random(20240601);
        var rejections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var result = WelchTest.Compare(NormalSample(random, 50, 10, 2), NormalSample(random, 50, 10, 2));
            rejections += result.PValueTwoSided < Alpha ? 1 : 0;
        }

        AssertRate(Alpha, rejections / (double)Experiments);
    }

    [Fact]
    public void Welch_test_keeps_alpha_with_unequal_variances_and_sizes()
    {
        var random = new Random(77);
        var rejections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var result = WelchTest.Compare(NormalSample(random, 20, 5, 1), NormalSample(random, 80, 5, 3));
            rejections += result.PValueTwoSided < Alpha ? 1 : 0;
        }

        AssertRate(Alpha, rejections / (double)Experiments);
    }

    [Fact]
    public void Two_proportion_test_on_A_A_experiments_rejects_at_alpha()
    {
        var random = new Random(4242);
        var rejections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var control = new BinarySummary(2000, BinomialSample(random, 0.1, 2000));
            var treatment = new BinarySummary(2000, BinomialSample(random, 0.1, 2000));
            rejections += ProportionTest.Compare(control, treatment).PValueTwoSided < Alpha ? 1 : 0;
        }

        AssertRate(Alpha, rejections / (double)Experiments);
    }

    [Fact]
    public void A_true_effect_at_the_planned_sample_size_is_found_with_the_planned_power()
    {
        // d = 0.5 at 64 per group: the exact power is 0.8015.
        var n = PowerAnalysis.TTestSampleSizePerGroup(0.5, Alpha, 0.8);
        var planned = PowerAnalysis.TTestPower(0.5, n, Alpha);
        var random = new Random(555);
        var detections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var result = WelchTest.Compare(NormalSample(random, (int)n, 0, 1), NormalSample(random, (int)n, 0.5, 1));
            detections += result.PValueTwoSided < Alpha ? 1 : 0;
        }

        AssertRate(planned, detections / (double)Experiments);
    }

    [Fact]
    public void A_true_difference_in_rates_is_found_with_the_planned_power()
    {
        var n = (int)PowerAnalysis.ProportionsSampleSizePerGroup(0.10, 0.12, Alpha, 0.8);
        var planned = PowerAnalysis.ProportionsPower(0.10, 0.12, n, Alpha);
        var random = new Random(99);
        var detections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var control = new BinarySummary(n, BinomialSample(random, 0.10, n));
            var treatment = new BinarySummary(n, BinomialSample(random, 0.12, n));
            detections += ProportionTest.Compare(control, treatment).PValueTwoSided < Alpha ? 1 : 0;
        }

        AssertRate(planned, detections / (double)Experiments);
    }

    [Fact]
    public void Sequential_test_peeked_every_100_samples_rejects_at_most_alpha_where_naive_peeking_does_not()
    {
        var random = new Random(31337);
        var sequentialRejections = 0;
        var naiveRejections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var control = ContinuousSummary.Empty;
            var treatment = ContinuousSummary.Empty;
            var state = SequentialState.Initial;
            var naiveRejected = false;
            for (var look = 0; look < 20; look++)
            {
                control += NormalSample(random, 100, 0, 1);
                treatment += NormalSample(random, 100, 0, 1);
                state = SequentialTest.Update(state, control, treatment, mixingVariance: 0.01, Alpha).State;
                naiveRejected |= NaiveTwoSidedP(control, treatment) < Alpha;
            }

            sequentialRejections += state.AlwaysValidPValue <= Alpha ? 1 : 0;
            naiveRejections += naiveRejected ? 1 : 0;
        }

        var sequentialRate = sequentialRejections / (double)Experiments;
        TestContext.Current.TestOutputHelper?.WriteLine($"mSPRT {sequentialRate:P2}, naive peeking {naiveRejections / (double)Experiments:P2}");
        Assert.True(sequentialRate <= Alpha + Tolerance(Alpha), $"mSPRT rejected {sequentialRate:P2} of A/A experiments");

        // Reading a fixed-horizon test at each of the 20 looks inflates the error rate far beyond alpha.
        Assert.True(naiveRejections / (double)Experiments > 2 * Alpha, $"naive peeking rejected only {naiveRejections / (double)Experiments:P2}");
    }

    [Fact]
    public void Sequential_test_on_rates_peeked_every_100_samples_rejects_at_most_alpha()
    {
        var random = new Random(8080);
        var rejections = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var control = BinarySummary.Empty;
            var treatment = BinarySummary.Empty;
            var state = SequentialState.Initial;
            for (var look = 0; look < 20; look++)
            {
                control += new BinarySummary(100, BinomialSample(random, 0.2, 100));
                treatment += new BinarySummary(100, BinomialSample(random, 0.2, 100));
                state = SequentialTest.Update(state, control, treatment, mixingVariance: 0.02 * 0.02, Alpha).State;
            }

            rejections += state.AlwaysValidPValue <= Alpha ? 1 : 0;
        }

        var rate = rejections / (double)Experiments;
        TestContext.Current.TestOutputHelper?.WriteLine($"mSPRT on rates {rate:P2}");
        Assert.True(rate <= Alpha + Tolerance(Alpha), $"mSPRT on rates rejected {rate:P2} of A/A experiments");
    }

    [Fact]
    public void Sequential_test_finds_a_real_effect_and_usually_early()
    {
        var random = new Random(1234);
        var detections = 0;
        var looksUsed = 0;
        const int experiments = 2000;
        for (var e = 0; e < experiments; e++)
        {
            var control = ContinuousSummary.Empty;
            var treatment = ContinuousSummary.Empty;
            var state = SequentialState.Initial;
            for (var look = 0; look < 20 && state.AlwaysValidPValue > Alpha; look++)
            {
                control += NormalSample(random, 100, 0, 1);
                treatment += NormalSample(random, 100, 0.2, 1);
                state = SequentialTest.Update(state, control, treatment, mixingVariance: 0.04, Alpha).State;
            }

            detections += state.AlwaysValidPValue <= Alpha ? 1 : 0;
            looksUsed += state.Looks;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"detected {detections / (double)experiments:P2}, average looks {looksUsed / (double)experiments:F2}");

        // A fixed-horizon test at 2,000 per arm has power 0.9999 here; the always-valid test pays for its freedom to
        // stop with some power but must still find the effect nearly always, on average well before the last look.
        Assert.True(detections / (double)experiments > 0.95, $"detected {detections} of {experiments}");
        Assert.True(looksUsed / (double)experiments < 12, $"average looks {looksUsed / (double)experiments:F1}");
    }

    // The fixed-horizon z-test (Welch's t with hundreds of degrees of freedom is the same to three decimals).
    private static double NaiveTwoSidedP(ContinuousSummary control, ContinuousSummary treatment)
    {
        var z = (treatment.Mean - control.Mean) / Math.Sqrt(control.Variance / control.Count + treatment.Variance / treatment.Count);
        return 2 * Distributions.NormalSurvival(Math.Abs(z));
    }

    // Exact binomial draw by geometric waiting times between successes: about n·p steps instead of n.
    private static int BinomialSample(Random random, double p, int n)
    {
        var logFailure = Math.Log(1 - p);
        var successes = 0;
        var position = 0L;
        while (true)
        {
            position += (long)Math.Floor(Math.Log(1 - random.NextDouble()) / logFailure) + 1;
            if (position > n)
            {
                return successes;
            }

            successes++;
        }
    }

    private static ContinuousSummary NormalSample(Random random, int n, double mean, double sd)
    {
        var sampleMean = Normal.Sample(random, mean, sd / Math.Sqrt(n));
        // χ²(n − 1) drawn as Gamma((n − 1)/2, rate 1/2): one Marsaglia-Tsang draw instead of n − 1 squared normals.
        var sampleVariance = sd * sd * Gamma.Sample(random, (n - 1) / 2.0, 0.5) / (n - 1);
        return ContinuousSummary.FromMoments(n, sampleMean, sampleVariance);
    }

    private static void AssertRate(double expected, double observed)
    {
        var tolerance = Tolerance(expected);
        TestContext.Current.TestOutputHelper?.WriteLine($"observed rate {observed:P2}, expected {expected:P2} ± {tolerance:P2}");
        Assert.True(Math.Abs(observed - expected) <= tolerance,
            $"observed rate {observed:P2}, expected {expected:P2} ± {tolerance:P2}");
    }
}
