using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.Statistics;
using Grpc.Core;
using Npgsql;
using CanaryVerdictEvent = DomainPlatform.Contracts.Events.CanaryVerdict;

namespace DomainPlatform.Experimentation.Grpc;

/// <summary>
/// Judges a canary step for the deployment service from the outcomes by model version since the step started
/// (to the 10 s bucket; both versions over the same window, or the baseline over its own window before a promotion
/// when the request names one): continue, hold or rollback, with the figures behind it
/// and the limit that judged each metric. Also tells deployment a domain's recent traffic, for its step estimates.
/// </summary>
public sealed class CanaryAnalysisGrpcService(MetricStore metrics, NpgsqlDataSource db, OutboxSignal outboxSignal, TimeProvider clock) : CanaryAnalysis.CanaryAnalysisBase
{
    public const int MaxTrafficWindowSeconds = 86_400;

    public override async Task<RecentTrafficReply> RecentTraffic(RecentTrafficRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Domain)) throw Invalid("domain is required.");
        if (request.WindowSeconds is < 1 or > MaxTrafficWindowSeconds) throw Invalid($"window_seconds must be between 1 and {MaxTrafficWindowSeconds}.");
        var now = clock.GetUtcNow();
        var from = OutcomeMetrics.FirstBucketFrom(now.AddSeconds(-request.WindowSeconds));
        var (requests, served) = CanaryInputs.Traffic(await metrics.ForVersionsAsync(request.Domain, null, from, context.CancellationToken));
        return new RecentTrafficReply { Requests = requests, Served = served, WindowSeconds = (now.UtcDateTime - from).TotalSeconds };
    }

    public override async Task<AnalyzeReply> Analyze(AnalyzeRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (string.IsNullOrWhiteSpace(request.Domain) || string.IsNullOrWhiteSpace(request.BaselineVersion) || string.IsNullOrWhiteSpace(request.CandidateVersion))
            throw Invalid("domain, baseline_version and candidate_version are required.");
        if (request.BaselineVersion == request.CandidateVersion)
            throw Invalid("The candidate must be a different version from the baseline.");
        var (chosen, unknown, explicitly) = CanaryInputs.Select(request.Metrics);
        if (unknown.Count > 0) throw Invalid($"Unknown metrics: {string.Join(", ", unknown)}; known: {string.Join(", ", CanaryInputs.Known)}.");
        Guid? rolloutId = null;
        if (request.RolloutId.Length > 0)
        {
            if (!Guid.TryParse(request.RolloutId, out var parsed)) throw Invalid($"rollout_id '{request.RolloutId}' is not a UUID.");
            rolloutId = parsed;
        }
        var thresholds = request.Thresholds is { } t
            ? CanaryInputs.Thresholds(t.HasMaxAccuracyDrop ? t.MaxAccuracyDrop : null, t.MaxLatencyRatio, t.MaxErrorRate, t.MinSamples,
                t.HasMaxErrorRateIncrease ? t.MaxErrorRateIncrease : null)
            : new CanaryThresholds();
        var since = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(0, request.PhaseStartedAtUnixMs));

        if (request.BaselineUntilUnixMs < 0 || request.BaselineFromUnixMs < 0 || (request.BaselineUntilUnixMs > 0 && request.BaselineFromUnixMs >= request.BaselineUntilUnixMs))
            throw Invalid("baseline_from_unix_ms must be before baseline_until_unix_ms (both Unix milliseconds, 0 or more).");

        IReadOnlyList<AggregateRow> rows;
        if (request.BaselineUntilUnixMs > 0)
        {
            // The baseline's own window (before a promotion), the candidate's from the phase's start on.
            var baselineRows = await metrics.ForVersionsAsync(request.Domain, [request.BaselineVersion],
                OutcomeMetrics.FirstBucketFrom(DateTimeOffset.FromUnixTimeMilliseconds(request.BaselineFromUnixMs)), ct,
                OutcomeMetrics.BucketOf(DateTimeOffset.FromUnixTimeMilliseconds(request.BaselineUntilUnixMs)));
            var candidateRows = await metrics.ForVersionsAsync(request.Domain, [request.CandidateVersion], OutcomeMetrics.FirstBucketFrom(since), ct);
            rows = [.. baselineRows, .. candidateRows];
        }
        else
        {
            rows = await metrics.ForVersionsAsync(request.Domain, [request.BaselineVersion, request.CandidateVersion], OutcomeMetrics.FirstBucketFrom(since), ct);
        }
        var candidateHasAccuracy = rows.Any(r => r.ModelVersion == request.CandidateVersion && r.Metric == MetricCatalog.Accuracy && r.Count > 0);
        var accuracyRequired = explicitly && chosen.Contains(CanaryInputs.Accuracy);
        var baseline = CanaryInputs.Metrics(rows, request.BaselineVersion, chosen, accuracyRequired, candidateHasAccuracy);
        var candidate = CanaryInputs.Metrics(rows, request.CandidateVersion, chosen, accuracyRequired, candidateHasAccuracy);

        CanaryVerdictResult verdict;
        try
        {
            verdict = DomainPlatform.Statistics.CanaryVerdict.Evaluate(baseline, candidate, thresholds);
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ex.Message);
        }

        var reply = new AnalyzeReply { Verdict = verdict.Outcome.ToString().ToLowerInvariant(), Reason = verdict.Reason };
        foreach (var metric in verdict.Metrics)
        {
            var key = CanaryInputs.KeyOf(metric.Metric);
            reply.Metrics.Add(new DomainPlatform.Protos.Experimentation.MetricComparison
            {
                Metric = key, Baseline = metric.Baseline, Candidate = metric.Candidate,
                BaselineSamples = CanaryInputs.Samples(baseline, key), CandidateSamples = CanaryInputs.Samples(candidate, key),
                PValue = metric.PValue ?? double.NaN, Breached = metric.Verdict == MetricVerdict.Fail,
                Note = key == CanaryInputs.Latency ? OwnLatencyNote(metric.Reason, rows, request) : metric.Reason,
                LimitName = metric.LimitName, Limit = metric.Limit,
            });
        }

        if (rolloutId is { } rollout)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            await Outbox.AddAsync(connection, tx, new CanaryVerdictEvent(rollout, request.Domain, request.BaselineVersion, request.CandidateVersion, reply.Verdict, reply.Reason), ct);
            await tx.CommitAsync(ct);
            outboxSignal.Notify();
        }
        return reply;
    }

    /// <summary>Gives each side's own latency (less the device time other models took) beside the end-to-end verdict.</summary>
    private static string OwnLatencyNote(string reason, IReadOnlyList<AggregateRow> rows, AnalyzeRequest request)
    {
        var baseline = CanaryInputs.Mean(rows, request.BaselineVersion, MetricCatalog.OwnLatencyMs);
        var candidate = CanaryInputs.Mean(rows, request.CandidateVersion, MetricCatalog.OwnLatencyMs);
        return baseline is { } b && candidate is { } c
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reason} (own latency, less the device time other models took: {c:F1} vs {b:F1} ms)")
            : reason;
    }

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}
