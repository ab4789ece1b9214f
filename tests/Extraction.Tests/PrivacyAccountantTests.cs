using DomainPlatform.Extraction.Domain;

namespace DomainPlatform.Extraction.Tests;

public sealed class PrivacyAccountantTests
{
    [Fact]
    public void Basic_composition_sums_the_charges()
    {
        Assert.Equal(3.5, PrivacyAccountant.Compose([1, 2, 0.5]), 12);
        Assert.Equal(0, PrivacyAccountant.Compose([]));
    }

    [Fact]
    public void A_charge_that_fits_is_allowed_and_reports_what_remains_after_it()
    {
        var decision = PrivacyAccountant.Decide(10, [2, 3], 4);
        Assert.True(decision.Allowed);
        Assert.Equal(5, decision.SpentEpsilon, 12);
        Assert.Equal(1, decision.RemainingEpsilon, 12);
        Assert.Null(decision.Reason);
    }

    [Fact]
    public void A_charge_that_exactly_uses_up_the_budget_is_allowed_despite_rounding()
    {
        var decision = PrivacyAccountant.Decide(0.3, [0.1], 0.2);
        Assert.True(decision.Allowed);
        Assert.Equal(0, decision.RemainingEpsilon, 9);
    }

    [Fact]
    public void A_charge_beyond_the_budget_is_refused_with_a_reason_and_nothing_is_spent()
    {
        var decision = PrivacyAccountant.Decide(1.5, [1], 1);
        Assert.False(decision.Allowed);
        Assert.Equal(1, decision.SpentEpsilon, 12);
        Assert.Equal(0.5, decision.RemainingEpsilon, 12);
        Assert.Contains("exceeded", decision.Reason);
        Assert.Contains("0.5 left", decision.Reason);
    }

    [Fact]
    public void An_overspent_budget_reports_zero_remaining_not_a_negative()
    {
        var decision = PrivacyAccountant.Decide(1, [2], 0.1);
        Assert.False(decision.Allowed);
        Assert.Equal(0, decision.RemainingEpsilon);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_epsilons_are_refused_loudly(double bad)
    {
        Assert.False(PrivacyAccountant.IsValidEpsilon(bad));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAccountant.Decide(bad, [], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAccountant.Decide(1, [], bad));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAccountant.Compose([1, bad]));
    }
}
