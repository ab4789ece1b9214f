using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

public sealed class RolloutSettingsTests
{
    private static readonly TimeSpan PlatformMinStep = TimeSpan.FromMinutes(5);
    private static readonly DomainConfig Plain = new() { Name = "SQL agent", Rollback = new RollbackThresholds { MinSamples = 40 } };
    private static readonly DomainConfig WithDefaults = Plain with { Rollout = new RolloutDefaults { Steps = [5, 25, 100], MinStepSeconds = 60, MinSamples = 20 } };

    private static ResolvedRolloutSettings Resolve(RolloutRequestSettings request, DomainConfig domain)
    {
        var (settings, errors) = RolloutSettings.Resolve(request, domain, PlatformMinStep);
        Assert.Empty(errors);
        return settings!;
    }

    [Fact]
    public void Without_rollout_or_domain_settings_the_platform_defaults_apply_and_minSamples_is_the_domains_rollback_one()
    {
        var settings = Resolve(new RolloutRequestSettings(null, null, null), Plain);

        Assert.Equal([1.0, 10, 50, 100], settings.Steps);
        Assert.Equal((300.0, 40L), (settings.MinStepSeconds, settings.MinSamples));
        Assert.Equal(("platform", "platform", "domain rollback.minSamples"), (settings.StepsFrom, settings.MinStepSecondsFrom, settings.MinSamplesFrom));
        Assert.Equal("steps 1, 10, 50, 100 (platform), minStepSeconds 300 (platform), minSamples 40 (domain rollback.minSamples)", settings.Describe());
    }

    [Fact]
    public void The_domains_default_schedule_replaces_the_platforms()
    {
        var settings = Resolve(new RolloutRequestSettings(null, null, null), WithDefaults);

        Assert.Equal([5.0, 25, 100], settings.Steps);
        Assert.Equal((60.0, 20L), (settings.MinStepSeconds, settings.MinSamples));
        Assert.Equal(("domain", "domain", "domain"), (settings.StepsFrom, settings.MinStepSecondsFrom, settings.MinSamplesFrom));
    }

    [Fact]
    public void A_rollouts_own_settings_override_the_domains_one_by_one()
    {
        var settings = Resolve(new RolloutRequestSettings([2, 100], null, 7), WithDefaults);

        Assert.Equal([2.0, 100], settings.Steps);
        Assert.Equal((60.0, 7L), (settings.MinStepSeconds, settings.MinSamples));
        Assert.Equal(("rollout", "domain", "rollout"), (settings.StepsFrom, settings.MinStepSecondsFrom, settings.MinSamplesFrom));
        Assert.Equal(new RolloutPolicy(settings.Steps, TimeSpan.FromMinutes(1), 7).MinSamples, settings.Policy.MinSamples);

        var own = Resolve(new RolloutRequestSettings(null, 0, null), Plain);
        Assert.Equal((0.0, "rollout"), (own.MinStepSeconds, own.MinStepSecondsFrom));
    }

    [Theory]
    [InlineData(10, new double[] { 10, 50, 100 })]
    [InlineData(20, new double[] { 20, 50, 100 })]
    [InlineData(50, new double[] { 50, 100 })]
    [InlineData(0.5, new double[] { 0.5, 1, 10, 50, 100 })]
    public void A_first_weight_starts_there_and_keeps_the_planned_steps_above(double first, double[] steps)
    {
        var settings = Resolve(new RolloutRequestSettings(null, null, null, first), Plain);

        Assert.Equal(steps, settings.Steps);
        Assert.StartsWith("firstWeight ", settings.StepsFrom);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-1)]
    public void A_first_weight_outside_0_to_100_is_refused(double first)
    {
        var (settings, errors) = RolloutSettings.Resolve(new RolloutRequestSettings(null, null, null, first), Plain, PlatformMinStep);

        Assert.Null(settings);
        Assert.Equal(["firstWeight"], errors.Keys);
    }

    [Fact]
    public void An_invalid_value_is_refused_and_says_where_it_came_from()
    {
        var (_, fromRollout) = RolloutSettings.Resolve(new RolloutRequestSettings([10, 5, 100], -1, 1), Plain, PlatformMinStep);
        Assert.Equal(["steps", "minStepSeconds", "minSamples"], fromRollout.Keys.Order(StringComparer.Ordinal).Reverse().ToArray());
        Assert.DoesNotContain("comes from", fromRollout["minSamples"][0]);

        // A domain whose rollback.minSamples was stored before the rule of at least 2 still names it.
        var (_, fromDomain) = RolloutSettings.Resolve(new RolloutRequestSettings(null, null, null), Plain with { Rollback = new RollbackThresholds { MinSamples = 1 } }, PlatformMinStep);
        Assert.Contains("It comes from rollback.minSamples (the domain's).", fromDomain["minSamples"][0]);
    }
}
