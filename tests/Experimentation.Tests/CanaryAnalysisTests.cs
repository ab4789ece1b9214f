using DomainPlatform.Contracts.Events;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.TestSupport;
using Grpc.Core;
using Grpc.Net.Client;

namespace DomainPlatform.Experimentation.Tests;

public sealed class CanaryAnalysisTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    private CanaryAnalysis.CanaryAnalysisClient Client() =>
        new(GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() }));

    private static async Task FeedAsync(BrokerPublisher broker, string domain, string version, int count, int errors, double latency, DateTimeOffset? at = null)
    {
        for (var i = 0; i < count; i++)
        {
            var evt = IngestionTests.Inference(domain, "stable", version, latency + i % 5, ok: i >= errors);
            await broker.PublishAsync(at is { } when ? evt with { OccurredAt = when } : evt);
        }
    }

    private static AnalyzeRequest Request(string domain, DateTimeOffset? since = null, params string[] metrics)
    {
        var request = new AnalyzeRequest
        {
            Domain = domain, BaselineVersion = "1.0.0", CandidateVersion = "1.1.0",
            Thresholds = new Thresholds { MinSamples = 60 }, PhaseStartedAtUnixMs = since?.ToUnixTimeMilliseconds() ?? 0,
        };
        request.Metrics.AddRange(metrics);
        return request;
    }

    [Fact]
    public async Task A_failing_candidate_is_rolled_back_a_healthy_one_continues_and_a_thin_one_holds()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var bad = ExperimentsApiTests.NewDomain();
        var good = ExperimentsApiTests.NewDomain();
        var thin = ExperimentsApiTests.NewDomain();
        await FeedAsync(broker, bad, "1.0.0", 80, 2, 100);
        await FeedAsync(broker, bad, "1.1.0", 80, 30, 100);
        await FeedAsync(broker, good, "1.0.0", 80, 2, 100);
        await FeedAsync(broker, good, "1.1.0", 80, 2, 105);
        await FeedAsync(broker, thin, "1.0.0", 80, 0, 100);
        await FeedAsync(broker, thin, "1.1.0", 10, 0, 100);

        var client = Client();
        var rollback = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(bad), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "error_rate" && m.CandidateSamples == 80 && m.BaselineSamples == 80), "bad candidate outcomes counted");
        Assert.Equal("rollback", rollback.Verdict);
        var errorRate = rollback.Metrics.Single(m => m.Metric == "error_rate");
        Assert.True(errorRate.Breached);
        Assert.Equal(30.0 / 80, errorRate.Candidate, 12);
        Assert.True(errorRate.PValue < 0.05);

        var healthy = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(good), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "latency" && m.CandidateSamples == 78 && m.BaselineSamples == 78), "good candidate outcomes counted");
        Assert.Equal("continue", healthy.Verdict);
        Assert.DoesNotContain(healthy.Metrics, m => m.Metric == "accuracy");

        var held = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(thin), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "error_rate" && m.CandidateSamples == 10 && m.BaselineSamples == 80), "thin candidate outcomes counted");
        Assert.Equal("hold", held.Verdict);

        // Asking for accuracy by name judges it even without feedback yet: no evidence means hold.
        var accuracy = await client.AnalyzeAsync(Request(good, null, "accuracy"), cancellationToken: ct);
        Assert.Equal("hold", accuracy.Verdict);
    }

    [Fact]
    public async Task A_canarys_latency_is_judged_end_to_end_with_its_own_latency_beside_it_and_a_slow_one_fails()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var waiting = ExperimentsApiTests.NewDomain();
        var slow = ExperimentsApiTests.NewDomain();
        async Task Feed(string domain, string version, double latency, double shared)
        {
            for (var i = 0; i < 80; i++)
            {
                await broker.PublishAsync(IngestionTests.Inference(domain, "stable", version, latency + i % 5, ok: true) with { SharedDeviceMs = shared });
            }
        }
        // The same model cost (100 ms) on both sides; the canary's requests also waited 200 ms for the stable's steps.
        await Feed(waiting, "1.0.0", 100, 1);
        await Feed(waiting, "1.1.0", 300, 200);
        // A canary whose own steps are slow: three times the cost, with nothing to discount.
        await Feed(slow, "1.0.0", 100, 1);
        await Feed(slow, "1.1.0", 300, 0);

        var client = Client();
        var fair = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(waiting), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "latency" && m.CandidateSamples == 80 && m.BaselineSamples == 80), "co-located outcomes counted");
        // The users waited three times as long: that is what is judged, and what the canary cost itself is said beside it.
        Assert.Equal("rollback", fair.Verdict);
        var latency = fair.Metrics.Single(m => m.Metric == "latency");
        Assert.True(latency.Breached);
        Assert.Equal(302, latency.Candidate, 9);
        Assert.Equal(102, latency.Baseline, 9);
        Assert.Contains("own latency, less the device time other models took: 102.0 vs 101.0 ms", latency.Note);

        var caught = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(slow), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "latency" && m.CandidateSamples == 80 && m.BaselineSamples == 80), "slow outcomes counted");
        Assert.Equal("rollback", caught.Verdict);
        Assert.True(caught.Metrics.Single(m => m.Metric == "latency").Breached);
    }

    [Fact]
    public async Task Only_outcomes_after_the_phase_start_count()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var domain = ExperimentsApiTests.NewDomain();
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-10);
        await FeedAsync(broker, domain, "1.1.0", 80, 60, 100, earlier);
        var phaseStart = DateTimeOffset.UtcNow.AddMinutes(-5);
        await FeedAsync(broker, domain, "1.0.0", 80, 1, 100);
        await FeedAsync(broker, domain, "1.1.0", 80, 1, 100);

        var client = Client();
        var whole = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(domain), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "error_rate" && m.CandidateSamples == 160 && m.BaselineSamples == 80), "all outcomes counted");
        Assert.Equal("rollback", whole.Verdict);

        var step = await client.AnalyzeAsync(Request(domain, phaseStart), cancellationToken: ct);
        Assert.Equal("continue", step.Verdict);
        Assert.Equal(80, step.Metrics.Single(m => m.Metric == "error_rate").CandidateSamples);
    }

    [Fact]
    public async Task A_watch_after_a_promotion_compares_the_new_stable_with_the_previous_one_before_the_switch()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var domain = ExperimentsApiTests.NewDomain();
        var switchedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        // The previous stable before the switch; a few of its requests still in flight after it, slow, must not count.
        await FeedAsync(broker, domain, "1.0.0", 80, 0, 100, switchedAt.AddMinutes(-3));
        await FeedAsync(broker, domain, "1.0.0", 70, 0, 900);
        await FeedAsync(broker, domain, "1.1.0", 80, 0, 300);

        var request = Request(domain, switchedAt);
        request.BaselineFromUnixMs = switchedAt.AddMinutes(-15).ToUnixTimeMilliseconds();
        request.BaselineUntilUnixMs = switchedAt.ToUnixTimeMilliseconds();
        var client = Client();
        var watched = await Eventually.GetAsync(() => client.AnalyzeAsync(request, cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "latency" && m.CandidateSamples == 80 && m.BaselineSamples == 80), "both windows counted");
        Assert.Equal("rollback", watched.Verdict);
        var latency = watched.Metrics.Single(m => m.Metric == "latency");
        Assert.Equal(102, latency.Baseline, 9);
        Assert.Equal(302, latency.Candidate, 9);

        // Over one window the previous stable's stragglers (900 ms) would be its baseline, and the slower new stable would pass.
        var sameWindow = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(domain, switchedAt), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "latency" && m.BaselineSamples == 70), "the stragglers counted");
        Assert.NotEqual("rollback", sameWindow.Verdict);

        var backwards = Request(domain, switchedAt);
        backwards.BaselineFromUnixMs = switchedAt.ToUnixTimeMilliseconds();
        backwards.BaselineUntilUnixMs = switchedAt.AddMinutes(-1).ToUnixTimeMilliseconds();
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.AnalyzeAsync(backwards, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("baseline_from_unix_ms", refused.Status.Detail);
    }

    [Fact]
    public async Task A_verdict_for_a_rollout_is_published_as_a_canary_verdict_event()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var probe = await broker.ListenAsync("domainplatform.canary-verdict");
        var rollout = Guid.NewGuid();
        var request = Request(ExperimentsApiTests.NewDomain());
        request.RolloutId = rollout.ToString();
        var reply = await Client().AnalyzeAsync(request, cancellationToken: ct);
        Assert.Equal("hold", reply.Verdict);

        var seen = new List<System.Text.Json.JsonElement>();
        await Eventually.GetAsync(async () => { seen.AddRange(await broker.TakeAsync(probe)); return seen; },
            m => m.Any(e => e.GetProperty("rolloutId").GetGuid() == rollout), "CanaryVerdict for the rollout");
        var evt = seen.Single(e => e.GetProperty("rolloutId").GetGuid() == rollout);
        Assert.Equal(("hold", "1.1.0"), (evt.GetProperty("verdict").GetString(), evt.GetProperty("candidateVersion").GetString()));
    }

    [Fact]
    public async Task A_canary_failing_as_often_as_the_stable_version_continues_unless_the_domain_sets_a_ceiling()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var domain = ExperimentsApiTests.NewDomain();
        await FeedAsync(broker, domain, "1.0.0", 100, 80, 100);
        await FeedAsync(broker, domain, "1.1.0", 100, 76, 100);

        var client = Client();
        var relative = await Eventually.GetAsync(() => client.AnalyzeAsync(Request(domain, null, "error_rate"), cancellationToken: ct).ResponseAsync,
            r => r.Metrics.Any(m => m.Metric == "error_rate" && m.CandidateSamples == 100 && m.BaselineSamples == 100), "both versions' outcomes counted");
        Assert.Equal("continue", relative.Verdict);
        var errors = relative.Metrics.Single();
        Assert.Equal(("error_rate", "maxErrorRateIncrease", 0.02, false), (errors.Metric, errors.LimitName, errors.Limit, errors.Breached));
        Assert.Contains("error rate 76.00 % (76/100) vs baseline 80.00 % (80/100), -4.0 points, within maxErrorRateIncrease +2.0 points", relative.Reason);

        var request = Request(domain, null, "error_rate");
        request.Thresholds.MaxErrorRate = 0.5;
        var ceiling = await client.AnalyzeAsync(request, cancellationToken: ct);
        Assert.Equal("rollback", ceiling.Verdict);
        var limit = ceiling.Metrics.Single(m => m.Metric == "error_rate_ceiling");
        Assert.Equal(("maxErrorRate", 0.5, true, 100L), (limit.LimitName, limit.Limit, limit.Breached, limit.CandidateSamples));
        Assert.False(ceiling.Metrics.Single(m => m.Metric == "error_rate").Breached);
        Assert.Contains("above the maxErrorRate ceiling 50.0 %", ceiling.Reason);
    }

    [Fact]
    public async Task Recent_traffic_counts_a_domains_requests_over_the_window()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.CreateClient();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var domain = ExperimentsApiTests.NewDomain();
        await FeedAsync(broker, domain, "1.0.0", 30, 5, 100);
        await FeedAsync(broker, domain, "1.1.0", 10, 0, 100);
        await FeedAsync(broker, domain, "1.0.0", 20, 0, 100, DateTimeOffset.UtcNow.AddHours(-2));

        var client = Client();
        var traffic = await Eventually.GetAsync(
            () => client.RecentTrafficAsync(new RecentTrafficRequest { Domain = domain, WindowSeconds = 600 }, cancellationToken: ct).ResponseAsync,
            r => r.Requests == 40, "recent outcomes counted");
        Assert.Equal(35, traffic.Served);
        Assert.InRange(traffic.WindowSeconds, 590, 600);
        var day = await Eventually.GetAsync(
            () => client.RecentTrafficAsync(new RecentTrafficRequest { Domain = domain, WindowSeconds = 86_400 }, cancellationToken: ct).ResponseAsync,
            r => r.Requests == 60, "older outcomes counted in a wider window");
        Assert.Equal(55, day.Served);

        var none = await client.RecentTrafficAsync(new RecentTrafficRequest { Domain = ExperimentsApiTests.NewDomain(), WindowSeconds = 600 }, cancellationToken: ct);
        Assert.Equal((0L, 0L), (none.Requests, none.Served));
        foreach (var bad in new[] { new RecentTrafficRequest { Domain = domain, WindowSeconds = 0 }, new RecentTrafficRequest { WindowSeconds = 60 } })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => client.RecentTrafficAsync(bad, cancellationToken: ct).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        }
    }

    [Theory]
    [InlineData("", "1.1.0", "error_rate")]
    [InlineData("d", "1.0.0", "error_rate")]
    [InlineData("d", "1.1.0", "happiness")]
    public async Task Bad_requests_are_invalid_arguments(string domain, string candidate, string metric)
    {
        factory.CreateClient();
        var request = new AnalyzeRequest { Domain = domain, BaselineVersion = "1.0.0", CandidateVersion = candidate };
        request.Metrics.Add(metric);
        var error = await Assert.ThrowsAsync<RpcException>(() => Client().AnalyzeAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Out_of_range_thresholds_are_invalid_arguments()
    {
        factory.CreateClient();
        var request = new AnalyzeRequest { Domain = "d", BaselineVersion = "1.0.0", CandidateVersion = "1.1.0", Thresholds = new Thresholds { MaxErrorRate = 1.5 } };
        var error = await Assert.ThrowsAsync<RpcException>(() => Client().AnalyzeAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("error rate", error.Status.Detail);
    }
}
