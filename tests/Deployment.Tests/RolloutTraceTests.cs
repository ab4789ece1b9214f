using System.Collections.Concurrent;
using System.Diagnostics;
using DomainPlatform.Deployment.Rollouts;
using Microsoft.Extensions.DependencyInjection;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>A rollout step is one trace: its span carries the verdict and the decision, and the Analyze call is inside it.</summary>
public sealed class RolloutTraceTests : IClassFixture<ManualControllerFactory>, IDisposable
{
    private readonly ManualControllerFactory factory;
    private readonly ConcurrentQueue<Activity> _finished = new();
    private readonly ActivityListener _listener;

    public RolloutTraceTests(ManualControllerFactory factory)
    {
        this.factory = factory;
        // Every span of this process from these sources; the test picks its own by the rollout's id and trace.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RolloutTelemetry.SourceName or "System.Net.Http" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _finished.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task An_analysed_step_is_a_span_with_the_verdict_and_the_decision_around_the_analysis_call()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        factory.Remotes.Verdict = r => FakeRemotes.Reply("continue", 500, r.Domain == domain ? "candidate within limits" : "fine");
        var rollout = await StartRolloutAsync(client, domain, "1.1.0");
        var controller = ActivatorUtilities.CreateInstance<RolloutController>(factory.Services);

        await controller.TickAsync(Ct);

        var step = Assert.Single(_finished, a => a.OperationName == "rollout step" && (string?)a.GetTagItem("rollout.id") == rollout.ToString());
        Assert.Equal(domain, step.GetTagItem("platform.domain"));
        Assert.Equal(("1.0.0", "1.1.0"), (step.GetTagItem("rollout.baseline_version"), step.GetTagItem("rollout.candidate_version")));
        Assert.Equal(("continue", "candidate within limits"), (step.GetTagItem("rollout.verdict"), step.GetTagItem("rollout.verdict_reason")));
        Assert.Equal("advance", step.GetTagItem("rollout.decision"));
        Assert.Equal(500L, step.GetTagItem("rollout.error_rate.candidate_samples"));
        Assert.Equal(default, step.ParentSpanId);
        // The Analyze call, client and server side, belongs to the step's trace.
        var analyze = _finished.Where(a => a.TraceId == step.TraceId && a.Source.Name != RolloutTelemetry.SourceName).ToList();
        Assert.Contains(analyze, a => a.Kind == ActivityKind.Client && a.GetTagItem("url.full")?.ToString()?.EndsWith("CanaryAnalysis/Analyze", StringComparison.Ordinal) == true);
        Assert.Contains(analyze, a => a.Kind == ActivityKind.Server);
    }

    public void Dispose() => _listener.Dispose();
}
