using DomainPlatform.Console.Live;
using DomainPlatform.Contracts;
using DomainPlatform.Contracts.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace DomainPlatform.Console.Tests;

public sealed class ChangeMapTests
{
    private static readonly Guid Id = Guid.Parse("0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f");

    public static TheoryData<string, ConsoleChange[]> Mappings => new()
    {
        { nameof(AlertRaised), [new(ChangeArea.Alert, "0x5678-SQLAgent")] },
        { nameof(CanaryVerdict), [new(ChangeArea.Rollout, "0x5678-SQLAgent", Id.ToString())] },
        { nameof(RollbackPerformed), [new(ChangeArea.Rollout, "0x5678-SQLAgent", Id.ToString()), new(ChangeArea.Deployment, "0x5678-SQLAgent")] },
        { nameof(ModelDeployed), [new(ChangeArea.Deployment, "0x5678-SQLAgent")] },
        { nameof(RouteTableChanged), [new(ChangeArea.Deployment, "0x5678-SQLAgent")] },
        { nameof(ExperimentConcluded), [new(ChangeArea.Experiment, "0x5678-SQLAgent", Id.ToString())] },
        { nameof(ExperimentTrafficChanged), [new(ChangeArea.Experiment, "0x5678-SQLAgent", Id.ToString())] },
        { nameof(DatasetReady), [new(ChangeArea.Dataset, "0x5678-SQLAgent", Id.ToString())] },
        { nameof(TrainingCompleted), [new(ChangeArea.Training, "0x5678-SQLAgent", Id.ToString())] },
        { nameof(TrainingProgressed), [new(ChangeArea.TrainingProgress, "0x5678-SQLAgent", Id.ToString())] },
    };

    [Theory]
    [MemberData(nameof(Mappings))]
    public void Each_consumed_event_names_the_objects_it_changed(string eventName, ConsoleChange[] expected) =>
        Assert.Equal(expected, ChangeMap.From(EventCatalog.Example(ChangeMap.Consumed.Single(t => t.Name == eventName))));

    [Fact]
    public void The_console_listens_to_no_per_request_event_and_maps_every_one_it_listens_to()
    {
        Assert.DoesNotContain(typeof(InferenceCompleted), ChangeMap.Consumed);
        Assert.DoesNotContain(typeof(FeedbackReceived), ChangeMap.Consumed);
        Assert.Equal(ChangeMap.Consumed.Select(t => t.Name).Order(), Mappings.Select(row => row.Data.Item1).Order());
    }

    private static DomainRoute Route(string domain, double canary) =>
        new(domain, [], [], "salt", [new RouteVariant("stable", "1.0.0", $"{domain}@1.0.0", 100 - canary, "inference"), new RouteVariant("canary", "1.1.0", $"{domain}@1.1.0", canary, "inference")]);

    [Fact]
    public void A_route_table_changes_only_the_domains_whose_route_is_new_gone_or_different()
    {
        var first = new RouteTableChanged(1, [Route("a", 1), Route("b", 1), Route("c", 0)]);
        var second = new RouteTableChanged(2, [Route("a", 1), Route("b", 10), Route("d", 0)]);
        Assert.Equal(["a", "b", "c"], ChangeMap.RoutesChanged(null, first));
        Assert.Equal(["b", "c", "d"], ChangeMap.RoutesChanged(first, second));
        Assert.Empty(ChangeMap.RoutesChanged(second, second with { Revision = 3 }));
    }

    [Fact]
    public void The_notifier_remembers_the_last_route_table_so_a_repeat_changes_nothing()
    {
        var live = new LiveChanges(NullLogger<LiveChanges>.Instance);
        var got = new List<ConsoleChange>();
        using var page = live.Subscribe(c => { got.Add(c); return false; }, () => { });
        live.Receive(new RouteTableChanged(1, [Route("a", 1), Route("b", 1)]));
        live.Receive(new RouteTableChanged(2, [Route("a", 1), Route("b", 10)]));
        // An older table that arrives late does not become the one compared with.
        live.Receive(new RouteTableChanged(1, [Route("a", 1), Route("b", 1)]));
        live.Receive(new RouteTableChanged(3, [Route("a", 1), Route("b", 10)]));
        Assert.Equal(["a", "b", "b", "b"], got.Select(c => c.Domain));
    }
}

public sealed class PageInterestTests
{
    private static readonly Dictionary<string, string> Listed = new() { ["running-job"] = "running", ["done-job"] = "succeeded" };

    [Theory]
    [InlineData(ChangeArea.TrainingProgress, "shown-job", true)]
    [InlineData(ChangeArea.TrainingProgress, "running-job", false)] // listed as running already: its row waits for the poll
    [InlineData(ChangeArea.TrainingProgress, "done-job", true)] // listed otherwise: it started, its row changes
    [InlineData(ChangeArea.TrainingProgress, "new-job", true)] // not listed yet
    [InlineData(ChangeArea.Training, "running-job", true)]
    [InlineData(ChangeArea.Dataset, "any", true)]
    [InlineData(ChangeArea.Rollout, "any", false)]
    [InlineData(ChangeArea.Alert, "any", false)]
    public void The_training_page_reads_again_for_its_job_and_for_changes_to_its_list(ChangeArea area, string id, bool shows) =>
        Assert.Equal(shows, PageInterest.Training(new ConsoleChange(area, "d", id), "shown-job", Listed));

    [Theory]
    [InlineData(ChangeArea.Rollout, null, true, false, true)]
    [InlineData(ChangeArea.Deployment, null, true, false, true)]
    [InlineData(ChangeArea.Alert, null, true, false, true)]
    [InlineData(ChangeArea.Alert, "experiment", true, true, true)]
    [InlineData(ChangeArea.Experiment, "experiment", false, true, true)]
    [InlineData(ChangeArea.Training, "job", false, false, true)]
    [InlineData(ChangeArea.TrainingProgress, "job", false, false, false)]
    [InlineData(ChangeArea.Dataset, "dataset", false, false, true)]
    public void Rollout_experiment_and_other_pages_read_again_for_their_areas(ChangeArea area, string? id, bool rollouts, bool experiments, bool others)
    {
        var change = new ConsoleChange(area, "d", id);
        Assert.Equal((rollouts, experiments, others), (PageInterest.Rollouts(change), PageInterest.Experiments(change), PageInterest.Default(change)));
        Assert.Equal(area == ChangeArea.Dataset, PageInterest.Extraction(change));
    }
}
