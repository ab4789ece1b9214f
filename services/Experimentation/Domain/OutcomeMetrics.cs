using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Experimentation.Domain;

/// <summary>One observation of one metric: a value (1/0 for rates) and whether it counts as a success.</summary>
public readonly record struct Observation(string Metric, double Value, bool Success);

/// <summary>Turns outcome events into metric observations; pure, so what counts as what is unit-tested.</summary>
public static class OutcomeMetrics
{
    /// <summary>Width of the time buckets aggregates are kept in; a canary phase start is honoured to this precision.</summary>
    public static readonly TimeSpan BucketWidth = TimeSpan.FromSeconds(10);

    public static DateTime BucketOf(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        return new DateTime(ticks - ticks % BucketWidth.Ticks, DateTimeKind.Utc);
    }

    /// <summary>
    /// The window of <paramref name="seconds"/> (a multiple of the bucket width) ending at <paramref name="until"/>: the buckets
    /// that start in [until - seconds, until), exactly seconds / 10 of them.
    /// </summary>
    public static (DateTime From, DateTime Until) WindowEnding(DateTimeOffset until, int seconds) =>
        (FirstBucketFrom(until - TimeSpan.FromSeconds(seconds)), FirstBucketFrom(until));

    /// <summary>The first bucket wholly at or after <paramref name="at"/>: only outcomes after a phase start count.</summary>
    public static DateTime FirstBucketFrom(DateTimeOffset at)
    {
        var floor = BucketOf(at);
        return floor.Ticks == at.UtcTicks ? floor : floor + BucketWidth;
    }

    /// <summary>
    /// A client's own mistake (<see cref="InferenceCompleted.ClientError"/>) says nothing about the variant: no observation at all,
    /// so it neither raises the error rate nor counts as a sample.
    /// </summary>
    public static IReadOnlyList<Observation> FromInference(InferenceCompleted evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.ClientError) return [];
        var failed = !evt.Succeeded;
        var observations = new List<Observation>(5) { new(MetricCatalog.ErrorRate, failed ? 1 : 0, failed) };
        // A cache hit did not run the model: it says nothing about the variant's speed or token use.
        if (evt.CacheHit || failed) return observations;
        if (LatencySampleOf(evt) is not null)
        {
            observations.Add(new(MetricCatalog.LatencyMs, evt.LatencyMs, false));
            var shared = evt.SharedDeviceMs is { } ms && double.IsFinite(ms) && ms > 0 ? ms : 0;
            observations.Add(new(MetricCatalog.OwnLatencyMs, Math.Max(0, evt.LatencyMs - shared), false));
        }
        if (evt.TimeToFirstTokenMs is { } ttft && double.IsFinite(ttft) && ttft >= 0) observations.Add(new(MetricCatalog.TimeToFirstTokenMs, ttft, false));
        if (evt.TokensIn >= 0) observations.Add(new(MetricCatalog.TokensIn, evt.TokensIn, false));
        if (evt.TokensOut >= 0) observations.Add(new(MetricCatalog.TokensOut, evt.TokensOut, false));
        return observations;
    }

    /// <summary>The latency that counts in latency_ms and its histogram: a served (non-cached, successful) request's, when it is a latency at all.</summary>
    public static double? LatencySampleOf(InferenceCompleted evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return !evt.ClientError && evt.Succeeded && !evt.CacheHit && double.IsFinite(evt.LatencyMs) && evt.LatencyMs >= 0 ? evt.LatencyMs : null;
    }

    /// <summary>The score in [0, 1] (thumbs up 1, down 0), or null when the feedback judges nothing.</summary>
    public static double? ScoreOf(FeedbackReceived evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Score is { } score && double.IsFinite(score)) return Math.Clamp(score, 0, 1);
        return evt.ThumbsUp is { } up ? (up ? 1 : 0) : null;
    }

    public static IReadOnlyList<Observation> FromFeedback(FeedbackReceived evt)
    {
        if (ScoreOf(evt) is not { } score) return [];
        var correct = evt.ThumbsUp ?? score >= 0.5;
        return [new(MetricCatalog.FeedbackScore, score, correct), new(MetricCatalog.Accuracy, correct ? 1 : 0, correct)];
    }
}
