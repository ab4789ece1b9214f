using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

public sealed class DomainRulesTests
{
    private static readonly DomainConfig Valid = new() { Name = "SQL agent", Keywords = ["sql"] };

    [Theory]
    [InlineData("0x5678-SQLAgent", true)]
    [InlineData("docs.qa_v2", true)]
    [InlineData("", false)]
    [InlineData("-lead", false)]
    [InlineData("has space", false)]
    [InlineData("a/b", false)]
    public void Ids(string id, bool valid) => Assert.Equal(valid, DomainRules.ValidateId(id).Count == 0);

    [Fact]
    public void The_defaults_are_valid_and_match_the_seeds()
    {
        Assert.Empty(DomainRules.Validate(Valid));
        Assert.Equal((0.85, 500.0, 0.3, 0.35), (Valid.Gates.MinAccuracy, Valid.Gates.MaxLatencyMs, Valid.Gates.MaxTrainingLoss, Valid.Gates.MaxValidationLoss));
        // The error rate is judged against the stable one's (+2 points allowed); the absolute ceiling is off (1).
        Assert.Equal((0.05, 1.5, 0.02, 1.0, 50), (Valid.Rollback.MaxAccuracyDrop, Valid.Rollback.MaxLatencyRatio, Valid.Rollback.MaxErrorRateIncrease,
            Valid.Rollback.MaxErrorRate, Valid.Rollback.MinSamples));
        Assert.Equal(new RolloutDefaults(), Valid.Rollout);
    }

    public static TheoryData<DomainConfig, string> Invalid => new()
    {
        { Valid with { Name = " " }, "name" },
        { Valid with { MaxTokens = 0 }, "maxTokens" },
        { Valid with { MaxTokens = DomainRules.MaxTokensLimit + 1 }, "maxTokens" },
        { Valid with { Keywords = ["ok", ""] }, "keywords" },
        { Valid with { Gates = new DeploymentGates { MinAccuracy = 1.2 } }, "gates.minAccuracy" },
        { Valid with { Gates = new DeploymentGates { MaxLatencyMs = 0 } }, "gates.maxLatencyMs" },
        { Valid with { Gates = new DeploymentGates { MaxTrainingLoss = -0.1 } }, "gates.maxTrainingLoss" },
        { Valid with { Gates = new DeploymentGates { MaxValidationLoss = double.NaN } }, "gates.maxValidationLoss" },
        { Valid with { Rollback = new RollbackThresholds { MaxAccuracyDrop = -0.01 } }, "rollback.maxAccuracyDrop" },
        { Valid with { Rollback = new RollbackThresholds { MaxLatencyRatio = 0.9 } }, "rollback.maxLatencyRatio" },
        { Valid with { Rollback = new RollbackThresholds { MaxErrorRate = 1.5 } }, "rollback.maxErrorRate" },
        { Valid with { Rollback = new RollbackThresholds { MinSamples = 0 } }, "rollback.minSamples" },
        // Limits the canary analysis refuses: accepted, they would leave every rollout of the domain stuck at its first step.
        { Valid with { Rollback = new RollbackThresholds { MinSamples = 1 } }, "rollback.minSamples" },
        { Valid with { Rollback = new RollbackThresholds { MaxAccuracyDrop = 1 } }, "rollback.maxAccuracyDrop" },
        { Valid with { Rollback = new RollbackThresholds { MaxErrorRate = 1.0001 } }, "rollback.maxErrorRate" },
        { Valid with { Rollback = new RollbackThresholds { MaxErrorRate = 0 } }, "rollback.maxErrorRate" },
        { Valid with { Rollback = new RollbackThresholds { MaxErrorRateIncrease = -0.01 } }, "rollback.maxErrorRateIncrease" },
        { Valid with { Rollback = new RollbackThresholds { MaxErrorRateIncrease = 1 } }, "rollback.maxErrorRateIncrease" },
        { Valid with { Rollback = new RollbackThresholds { MaxErrorRateIncrease = double.NaN } }, "rollback.maxErrorRateIncrease" },
        { Valid with { Rollback = new RollbackThresholds { WatchSeconds = -1 } }, "rollback.watchSeconds" },
        { Valid with { Rollback = new RollbackThresholds { WatchSeconds = RollbackThresholds.MaxWatchSeconds + 1 } }, "rollback.watchSeconds" },
        { Valid with { Rollback = new RollbackThresholds { WatchSeconds = double.NaN } }, "rollback.watchSeconds" },
        { Valid with { Rollback = new RollbackThresholds { WatchBaselineSeconds = 59 } }, "rollback.watchBaselineSeconds" },
        { Valid with { Rollback = new RollbackThresholds { WatchBaselineSeconds = 86401 } }, "rollback.watchBaselineSeconds" },
        { Valid with { Rollout = new RolloutDefaults { Steps = [10, 5, 100] } }, "rollout.steps" },
        { Valid with { Rollout = new RolloutDefaults { Steps = [10, 50] } }, "rollout.steps" },
        { Valid with { Rollout = new RolloutDefaults { MinStepSeconds = -1 } }, "rollout.minStepSeconds" },
        { Valid with { Rollout = new RolloutDefaults { MinStepSeconds = double.PositiveInfinity } }, "rollout.minStepSeconds" },
        { Valid with { Rollout = new RolloutDefaults { MinSamples = 1 } }, "rollout.minSamples" },
        { Valid with { Cache = new CacheSettings { TtlSeconds = -1 } }, "cache.ttlSeconds" },
    };

    [Fact]
    public void The_watch_after_a_promotion_defaults_to_30_minutes_against_15_before_and_patches_like_the_other_limits()
    {
        Assert.Equal((1800.0, 900.0), (Valid.Rollback.WatchSeconds, Valid.Rollback.WatchBaselineSeconds));
        Assert.Empty(DomainRules.Validate(Valid with { Rollback = new RollbackThresholds { WatchSeconds = 0, WatchBaselineSeconds = 60 } }));
        var patched = DomainRules.Apply(Valid, new DomainPatch(null, null, null, null, null, null, null, null,
            new RollbackThresholdsPatch(null, null, null, null, WatchSeconds: 120, WatchBaselineSeconds: 600), null));
        Assert.Equal(Valid.Rollback with { WatchSeconds = 120, WatchBaselineSeconds = 600 }, patched.Rollback);
    }

    [Fact]
    public void A_ceiling_of_1_and_no_tolerated_increase_are_valid_settings()
    {
        Assert.Empty(DomainRules.Validate(Valid with { Rollback = new RollbackThresholds { MaxErrorRate = 1, MaxErrorRateIncrease = 0 } }));
        Assert.Empty(DomainRules.Validate(Valid with { Rollout = new RolloutDefaults { Steps = [5, 25, 100], MinStepSeconds = 60, MinSamples = 20 } }));
    }

    [Fact]
    public void A_patch_of_rollout_defaults_and_the_error_increase_merges_and_the_same_steps_are_no_change()
    {
        var withDefaults = DomainRules.Apply(Valid, new DomainPatch(null, null, null, null, null, null, null, null,
            new RollbackThresholdsPatch(null, null, 0.2, null, 0.01), null, new RolloutDefaultsPatch([5, 100], null, 30)));
        Assert.Equal((0.2, 0.01, 50), (withDefaults.Rollback.MaxErrorRate, withDefaults.Rollback.MaxErrorRateIncrease, withDefaults.Rollback.MinSamples));
        Assert.Equal([5.0, 100.0], withDefaults.Rollout.Steps!);
        Assert.Equal(((double?)null, (long?)30), (withDefaults.Rollout.MinStepSeconds, withDefaults.Rollout.MinSamples));

        var again = DomainRules.Apply(withDefaults, new DomainPatch(null, null, null, null, null, null, null, null, null, null, new RolloutDefaultsPatch([5, 100], 120, null)));
        Assert.Equal([5.0, 100.0], again.Rollout.Steps!);
        Assert.Equal(((double?)120, (long?)30), (again.Rollout.MinStepSeconds, again.Rollout.MinSamples));
        Assert.True(DomainRules.SameConfig(withDefaults, withDefaults with { Rollout = withDefaults.Rollout with { Steps = [5, 100] } }));
        Assert.False(DomainRules.SameConfig(withDefaults, withDefaults with { Rollout = withDefaults.Rollout with { Steps = [5, 50, 100] } }));
        Assert.False(DomainRules.SameConfig(Valid, Valid with { Rollout = new RolloutDefaults { Steps = [] } }));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_rule_names_its_field(DomainConfig config, string field) => Assert.Equal([field], DomainRules.Validate(config).Keys);

    [Fact]
    public void A_patch_changes_only_the_fields_it_names()
    {
        var patch = new DomainPatch(null, null, null, "platform", null, null, 1024,
            new DeploymentGatesPatch(0.9, null, null, null), null, new CacheSettingsPatch(false, null));
        var patched = DomainRules.Apply(Valid, patch);
        Assert.Equal(Valid with
        {
            Team = "platform", MaxTokens = 1024, Gates = Valid.Gates with { MinAccuracy = 0.9 }, Cache = Valid.Cache with { Enabled = false }, Keywords = patched.Keywords,
        }, patched);
        Assert.Same(Valid.Keywords, patched.Keywords);
        Assert.False(DomainRules.SameConfig(Valid, patched));
        Assert.True(DomainRules.SameConfig(Valid, DomainRules.Apply(Valid, new DomainPatch(null, null, null, null, ["sql"], null, null, null, null, null))));
    }

    [Fact]
    public void Gates_pass_only_when_every_metric_is_present_and_within_bounds()
    {
        var gates = new DeploymentGates();
        var good = new Dictionary<string, double> { ["accuracy"] = 0.85, ["latency_ms"] = 500, ["training_loss"] = 0.3, ["validation_loss"] = 0.35 };
        Assert.True(DeploymentGateCheck.Evaluate(gates, good).Passed);

        var failed = DeploymentGateCheck.Evaluate(gates, new Dictionary<string, double>(good) { ["accuracy"] = 0.84, ["validation_loss"] = 0.36 });
        Assert.False(failed.Passed);
        Assert.Equal(2, failed.Failures.Count);

        var missing = DeploymentGateCheck.Evaluate(gates, new Dictionary<string, double> { ["accuracy"] = 0.9, ["latency_ms"] = double.NaN });
        Assert.Equal(3, missing.Failures.Count);
        Assert.Contains(missing.Failures, f => f.StartsWith("latency_ms missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Route_table_splits_traffic_between_stable_and_canary()
    {
        var rollout = Guid.NewGuid();
        var routes = RouteTableBuilder.Build([
            new DomainServing("b-domain", ["docs"], "1.0.0", "1.1.0", 10, rollout),
            new DomainServing("a-domain", ["sql"], "2.0.0", null, 0, null),
            new DomainServing("c-domain", [], null, null, 0, null),
        ]);
        Assert.Equal(["a-domain", "b-domain", "c-domain"], routes.Select(r => r.Domain));
        Assert.Equal([new RouteVariant("stable", "2.0.0", "a-domain@2.0.0", 100, "inference")], routes[0].Variants);
        Assert.Equal([new RouteVariant("stable", "1.0.0", "b-domain@1.0.0", 90, "inference"), new RouteVariant("canary", "1.1.0", "b-domain@1.1.0", 10, "inference")], routes[1].Variants);
        Assert.Equal($"rollout-{rollout}", routes[1].Salt);
        Assert.Equal("a-domain", routes[0].Salt);
        Assert.Empty(routes[2].Variants);
    }

    [Fact]
    public void Comparison_lists_every_metric_with_its_change()
    {
        var deltas = ModelComparison.Compare(
            new Dictionary<string, double> { ["accuracy"] = 0.8, ["latency_ms"] = 200 },
            new Dictionary<string, double> { ["accuracy"] = 0.9, ["error_rate"] = 0.01 });
        Assert.Equal(["accuracy", "error_rate", "latency_ms"], deltas.Select(d => d.Metric));
        Assert.Equal(0.1, deltas[0].Delta!.Value, 9);
        Assert.Equal(0.125, deltas[0].RelativeChange!.Value, 9);
        Assert.Null(deltas[1].A);
        Assert.Null(deltas[2].Delta);
    }

    [Theory]
    [InlineData("champion", true)]
    [InlineData("team-a_best", true)]
    [InlineData("Champion", false)]
    [InlineData("1st", false)]
    [InlineData("", false)]
    public void Alias_names(string alias, bool valid) => Assert.Equal(valid, AliasRules.IsValidName(alias));
}
