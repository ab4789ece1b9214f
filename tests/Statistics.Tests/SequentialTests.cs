namespace DomainPlatform.Statistics.Tests;

public class SequentialTests
{
    [Fact]
    public void Likelihood_ratio_matches_the_closed_form_of_Johari_et_al()
    {
        // Equal arms of n with variance σ²: Λ = √(2σ²/(2σ²+nτ²)) exp(n²τ²Δ²/(4σ²(2σ²+nτ²))).
        double sigma2 = 4, tau2 = 0.25, n = 500, delta = 0.3;
        var expected = 0.5 * Math.Log(2 * sigma2 / (2 * sigma2 + n * tau2)) + n * n * tau2 * delta * delta / (4 * sigma2 * (2 * sigma2 + n * tau2));

        Assert.Equal(expected, SequentialTest.LogLikelihoodRatio(delta, 2 * sigma2 / n, tau2), 12);
    }

    [Fact]
    public void Always_valid_p_value_never_increases_across_looks()
    {
        var state = SequentialState.Initial;
        double[] estimates = [0.5, 0.1, 0.9, -0.2, 0.0, 0.4];
        var previous = 1.0;
        foreach (var estimate in estimates)
        {
            var look = SequentialTest.Update(state, estimate, 0.04, 0.25);
            Assert.True(look.AlwaysValidPValue <= previous);
            Assert.True(look.AlwaysValidPValue <= look.PValueThisLook);
            previous = look.AlwaysValidPValue;
            state = look.State;
        }

        Assert.Equal(estimates.Length, state.Looks);
    }

    [Fact]
    public void Always_valid_interval_is_exactly_where_the_test_does_not_reject()
    {
        const double estimate = 0.7, variance = 0.05, tau2 = 0.3, alpha = 0.05;
        var interval = SequentialTest.ConfidenceInterval(estimate, variance, tau2, alpha);

        Assert.Equal(-Math.Log(alpha), SequentialTest.LogLikelihoodRatio(estimate, variance, tau2, interval.Lower), 9);
        Assert.Equal(-Math.Log(alpha), SequentialTest.LogLikelihoodRatio(estimate, variance, tau2, interval.Upper), 9);
        Assert.True(interval.Contains(estimate));

        // Running intersection across looks.
        var first = SequentialTest.Update(SequentialState.Initial, 0.7, 0.05, tau2, alpha);
        var second = SequentialTest.Update(first.State, 0.5, 0.03, tau2, alpha);
        Assert.True(second.AlwaysValidInterval.Width <= first.AlwaysValidInterval.Width);
        Assert.True(second.AlwaysValidInterval.Lower >= first.AlwaysValidInterval.Lower);
    }

    [Fact]
    public void Summaries_give_the_same_look_as_the_estimate_and_variance()
    {
        var control = ContinuousSummary.FromMoments(300, 10, 9);
        var treatment = ContinuousSummary.FromMoments(320, 10.8, 12);
        var fromSummaries = SequentialTest.Update(SequentialState.Initial, control, treatment, 0.5);
        var direct = SequentialTest.Update(SequentialState.Initial, 0.8, 9.0 / 300 + 12.0 / 320, 0.5);
        Assert.Equal(direct.AlwaysValidPValue, fromSummaries.AlwaysValidPValue, 14);

        var rates = SequentialTest.Update(SequentialState.Initial, new BinarySummary(1000, 100), new BinarySummary(1000, 150), 0.001);
        var rateDirect = SequentialTest.Update(SequentialState.Initial, 0.05, 0.09 / 1000 + 0.1275 / 1000, 0.001);
        Assert.Equal(rateDirect.AlwaysValidPValue, rates.AlwaysValidPValue, 14);
        Assert.True(rates.Rejects(0.05));
    }

    [Fact]
    public void A_look_without_variance_leaves_the_evidence_unchanged()
    {
        var look = SequentialTest.Update(SequentialState.Initial, new BinarySummary(10, 0), new BinarySummary(10, 0), 0.01);
        Assert.Equal(1, look.AlwaysValidPValue);
        Assert.Equal(1, look.State.Looks);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SequentialTest.LogLikelihoodRatio(0.1, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequentialTest.Update(SequentialState.Initial, 0.1, 0.1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequentialTest.Update(SequentialState.Initial, 0.1, 0.1, 1, alpha: 1.5));
        Assert.Throws<ArgumentException>(() => SequentialTest.Update(SequentialState.Initial, ContinuousSummary.FromValues([1.0]), ContinuousSummary.FromValues([1.0, 2.0]), 1));
    }
}
