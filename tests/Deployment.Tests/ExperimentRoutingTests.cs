using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

public sealed class ExperimentRoutingTests
{
    private static readonly Guid First = Guid.Parse("0193f5a2-0000-7000-8000-000000000001");
    private static readonly Guid Second = Guid.Parse("0193f5a2-0000-7000-8000-000000000002");
    private static readonly DateTime T0 = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static readonly ExperimentArm[] Abc =
    [
        new("control", "1.0.0", 50), new("b", "1.1.0", 25), new("c", "1.2.0", 25),
    ];

    private static ExperimentSplit Split(string status, int phase = 1, Guid? id = null, IReadOnlyList<ExperimentArm>? arms = null, int second = 0) =>
        new(id ?? First, phase, status, arms ?? Abc, T0.AddSeconds(second));

    private static DomainServing Serving(ExperimentSplit? experiment, string? stable = "1.0.0", string? canary = null, double canaryWeight = 0) =>
        new("d", ["sql"], stable, canary, canaryWeight, canary is null ? null : Guid.Empty, experiment);

    [Fact]
    public void A_running_experiment_replaces_the_deployment_split_with_its_arms_and_salt()
    {
        var route = RouteTableBuilder.Route(Serving(Split("running"), canary: "2.0.0", canaryWeight: 10));

        Assert.Equal([("control", "1.0.0", "d@1.0.0", 50.0), ("b", "1.1.0", "d@1.1.0", 25), ("c", "1.2.0", "d@1.2.0", 25)],
            route.Variants.Select(v => (v.Name, v.ModelVersion, v.ModelId, v.WeightPercent)));
        Assert.All(route.Variants, v => Assert.Equal(RouteTableBuilder.Destination, v.Destination));
        Assert.Equal($"experiment-{First}", route.Salt);
        Assert.Equal(["sql"], route.Keywords);
    }

    private static Assignment.TrafficSplit SplitOf(DomainRoute route) =>
        new(route.Salt, route.Variants.Select(v => new Assignment.VariantWeight(v.Name, v.WeightPercent)));

    private static IReadOnlyList<(string From, string To)> Moves(DomainRoute before, DomainRoute after) =>
        Enumerable.Range(0, 10_000).Select(i => $"user-{i}").Select(k => (SplitOf(before).Assign(k), SplitOf(after).Assign(k))).Where(m => m.Item1 != m.Item2).ToList();

    [Fact]
    public void With_two_arms_raising_the_treatment_only_moves_users_from_control_to_treatment()
    {
        var phase1 = RouteTableBuilder.Route(Serving(Split("running", 1, arms: [new("control", "1.0.0", 90), new("b", "1.1.0", 10)])));
        var phase2 = RouteTableBuilder.Route(Serving(Split("running", 2, arms: [new("control", "1.0.0", 50), new("b", "1.1.0", 50)])));
        Assert.Equal(phase1.Salt, phase2.Salt);

        var moves = Moves(phase1, phase2);
        Assert.InRange(moves.Count, 3_700, 4_300);
        Assert.All(moves, m => Assert.Equal(("control", "b"), m));
    }

    [Fact]
    public void With_more_arms_a_weight_change_moves_only_the_users_between_the_old_and_new_boundaries()
    {
        var phase1 = RouteTableBuilder.Route(Serving(Split("running", 1)));
        var phase2 = RouteTableBuilder.Route(Serving(Split("running", 2, arms: [new("control", "1.0.0", 80), new("b", "1.1.0", 10), new("c", "1.2.0", 10)])));

        // Boundaries move from 50/75 to 80/90: buckets [50, 80) go to control, [80, 90) from c to b; 40% in all.
        var moves = Moves(phase1, phase2);
        Assert.InRange(moves.Count, 3_700, 4_300);
        Assert.All(moves, m => Assert.Contains(m, new[] { ("b", "control"), ("c", "control"), ("c", "b") }));
    }

    [Fact]
    public void An_emergency_rollback_sends_everything_to_the_control_and_arms_without_traffic_leave_the_route()
    {
        var rolledBack = Split("rolled_back", arms: [new("control", "1.0.0", 100), new("b", "1.1.0", 0), new("c", "1.2.0", 0)]);
        var route = RouteTableBuilder.Route(Serving(rolledBack, stable: "0.9.0"));

        var only = Assert.Single(route.Variants);
        Assert.Equal(("control", "1.0.0", 100.0), (only.Name, only.ModelVersion, only.WeightPercent));
        Assert.Equal(["1.0.0"], RouteTableBuilder.ServedVersions(Serving(rolledBack, stable: "0.9.0")));
    }

    [Theory]
    [InlineData("stopped")]
    [InlineData("concluded")]
    [InlineData("draft")]
    public void An_ended_experiment_gives_the_domain_back_to_its_deployment_route(string status)
    {
        var route = RouteTableBuilder.Route(Serving(Split(status), canary: "2.0.0", canaryWeight: 10));

        Assert.Equal([("stable", "1.0.0", 90.0), ("canary", "2.0.0", 10)], route.Variants.Select(v => (v.Name, v.ModelVersion, v.WeightPercent)));
        Assert.Equal(["1.0.0", "2.0.0"], RouteTableBuilder.ServedVersions(Serving(Split(status), canary: "2.0.0", canaryWeight: 10)));
    }

    [Fact]
    public void Without_an_experiment_the_route_is_the_deployment_route()
    {
        Assert.Equal(RouteTableBuilder.Route(Serving(null) with { Experiment = null }).Variants, RouteTableBuilder.Route(Serving(null)).Variants);
        Assert.Equal("d", RouteTableBuilder.Route(Serving(null)).Salt);
    }

    [Fact]
    public void Later_phases_and_the_end_of_the_same_phase_supersede_older_news_and_duplicates_do_not()
    {
        Assert.True(ExperimentRouting.Supersedes(null, Split("running")));
        Assert.True(ExperimentRouting.Supersedes(Split("running", 1), Split("running", 2)));
        Assert.True(ExperimentRouting.Supersedes(Split("running", 2), Split("stopped", 2)));
        Assert.True(ExperimentRouting.Supersedes(Split("running", 2), Split("rolled_back", 2)));

        Assert.False(ExperimentRouting.Supersedes(Split("running", 2), Split("running", 1)));
        Assert.False(ExperimentRouting.Supersedes(Split("running", 2), Split("running", 2)));
        Assert.False(ExperimentRouting.Supersedes(Split("stopped", 2), Split("running", 2)));
        Assert.False(ExperimentRouting.Supersedes(Split("rolled_back", 2), Split("running", 1)));
        // The end is newer even when it arrives with a clock a little behind: within one experiment order is by phase.
        Assert.True(ExperimentRouting.Supersedes(Split("running", 2, second: 10), Split("concluded", 2, second: 5)));
    }

    [Fact]
    public void Another_experiment_supersedes_only_with_newer_news()
    {
        Assert.True(ExperimentRouting.Supersedes(Split("rolled_back", 3, First, second: 0), Split("running", 1, Second, second: 1)));
        Assert.False(ExperimentRouting.Supersedes(Split("running", 1, Second, second: 5), Split("concluded", 4, First, second: 1)));
    }

    [Fact]
    public void A_servable_split_is_valid()
    {
        Assert.Empty(ExperimentRouting.Validate(Split("running")));
        Assert.Empty(ExperimentRouting.Validate(Split("stopped", arms: [])));
    }

    public static TheoryData<string, ExperimentArm[], string> InvalidSplits => new()
    {
        { "running", [], "no arms" },
        { "running", [new("control", "1.0.0", 0), new("b", "1.1.0", 0)], "No arm has traffic" },
        { "running", [new("control", "latest", 100)], "not a MAJOR.MINOR.PATCH" },
        { "running", [new("control", "1.0.0", -5), new("b", "1.1.0", 105)], "weights lie in [0, 100]" },
        { "running", [new("control", "1.0.0", double.NaN), new("b", "1.1.0", 50)], "weights lie in [0, 100]" },
        { "running", [new("control", "1.0.0", 50), new("Control", "1.1.0", 50)], "appears more than once" },
        { "running", [new(" ", "1.0.0", 100)], "no name" },
        { "paused", [new("control", "1.0.0", 100)], "Unknown experiment status 'paused'" },
        { "rolled_back", [new("control", "1.0.0", 0)], "No arm has traffic" },
    };

    [Theory]
    [MemberData(nameof(InvalidSplits))]
    public void An_unservable_split_is_refused_with_the_reason(string status, ExperimentArm[] arms, string reason)
    {
        Assert.Contains(ExperimentRouting.Validate(Split(status, arms: arms)), e => e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_experiment_id_or_negative_phase_is_refused()
    {
        Assert.Contains(ExperimentRouting.Validate(Split("running", id: Guid.Empty)), e => e.Contains("id is empty"));
        Assert.Contains(ExperimentRouting.Validate(Split("running", phase: -1)), e => e.Contains("negative"));
    }

    [Fact]
    public void The_event_maps_to_a_split_with_its_time_in_utc()
    {
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.FromHours(2));
        var split = ExperimentRouting.FromEvent(new ExperimentTrafficChanged(First, "d", "running", 3,
            [new ExperimentVariantWeight("control", "1.0.0", 70), new ExperimentVariantWeight("b", "1.1.0", 30)]) { OccurredAt = at });

        Assert.Equal((First, 3, "running"), (split.ExperimentId, split.Phase, split.Status));
        Assert.Equal([new ExperimentArm("control", "1.0.0", 70), new ExperimentArm("b", "1.1.0", 30)], split.Arms);
        Assert.Equal(at.UtcDateTime, split.OccurredAt);
        Assert.Equal(DateTimeKind.Utc, split.OccurredAt.Kind);
    }

    [Fact]
    public void Drained_versions_are_those_served_before_and_not_after()
    {
        Assert.Equal(["1.1.0", "1.2.0"], ExperimentRouting.Drained(["1.0.0", "1.1.0", "1.2.0", "1.1.0"], ["1.0.0"]));
        Assert.Empty(ExperimentRouting.Drained(["1.0.0"], ["1.0.0", "1.1.0"]));
    }
}
