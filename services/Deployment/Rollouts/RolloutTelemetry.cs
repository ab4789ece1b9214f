using System.Diagnostics;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.Protos.Experimentation;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// The spans of a rollout's decisions: each analysed step is one trace, "rollout step", whose child is the call to
/// experimentation's CanaryAnalysis.Analyze, so the dashboard's trace view shows the verdict, its reason and the figures
/// next to the analysis that produced them (exported by ServiceDefaults' DomainPlatform.* rule).
/// </summary>
public static class RolloutTelemetry
{
    public const string SourceName = "DomainPlatform.Deployment";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts a step's span (a new trace: the controller's loop has no request to belong to).</summary>
    public static Activity? StartStep(RolloutView rollout)
    {
        var activity = Source.StartActivity("rollout step", ActivityKind.Internal, parentContext: default);
        if (activity is null) return null;
        activity.SetTag(PlatformTelemetry.DomainAttribute, rollout.Domain);
        activity.SetTag("rollout.id", rollout.Id.ToString());
        activity.SetTag("rollout.baseline_version", rollout.BaselineVersion);
        activity.SetTag("rollout.candidate_version", rollout.CandidateVersion);
        activity.SetTag("rollout.step", rollout.State.StepIndex);
        activity.SetTag("rollout.canary_weight", CanaryStateMachine.WeightOf(rollout.Policy, rollout.State));
        return activity;
    }

    /// <summary>The analysis' verdict and figures on the step's span.</summary>
    public static void RecordAnalysis(Activity? activity, AnalyzeReply reply)
    {
        if (activity is null) return;
        activity.SetTag("rollout.verdict", reply.Verdict);
        activity.SetTag("rollout.verdict_reason", reply.Reason);
        foreach (var metric in reply.Metrics)
        {
            activity.SetTag($"rollout.{metric.Metric}.baseline", metric.Baseline);
            activity.SetTag($"rollout.{metric.Metric}.candidate", metric.Candidate);
            activity.SetTag($"rollout.{metric.Metric}.candidate_samples", metric.CandidateSamples);
            activity.SetTag($"rollout.{metric.Metric}.breached", metric.Breached);
        }
    }

    /// <summary>What the state machine did with the verdict.</summary>
    public static void RecordDecision(Activity? activity, RolloutDecision decision, bool emergency)
    {
        if (activity is null) return;
        activity.SetTag("rollout.decision", decision.Action.ToString().ToLowerInvariant());
        activity.SetTag("rollout.decision_reason", decision.Reason);
        activity.SetTag("rollout.weight_after", decision.ToWeight);
        activity.SetTag("rollout.emergency", emergency);
        if (decision.Action is RolloutAction.RollBack) activity.SetStatus(ActivityStatusCode.Error, decision.Reason);
    }

    /// <summary>An analysis that did not answer leaves the step where it was; the span says why.</summary>
    public static void RecordNoAnalysis(Activity? activity, string reason) => activity?.SetStatus(ActivityStatusCode.Error, reason);
}
