using Dapper;
using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.Protos.Experimentation;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DomainPlatform.Deployment.Rollouts;

/// <summary>
/// Drives the post-promotion watches: every <c>Deployment:WatchCheckInterval</c> each watching version is leased (so
/// one replica checks it), compared by experimentation's Analyze with the previous stable's outcomes before the switch
/// (the domain's rollback limits and minSamples), and the pure <see cref="PromotionWatch"/> decides: keep watching,
/// pass at the end of the window, or roll back to the previous stable. State is in Postgres: a restart goes on watching.
/// </summary>
public sealed partial class WatchController(
    NpgsqlDataSource db,
    DeploymentService deployments,
    CanaryAnalysis.CanaryAnalysisClient analysis,
    TimeProvider clock,
    IOptions<DeploymentOptions> options,
    ILogger<WatchController> logger) : PollingController(clock, options)
{
    public string Owner { get; } = $"{Environment.MachineName}/{Guid.NewGuid():N}";

    /// <summary>One pass over the watches that are due; returns how many checks it recorded.</summary>
    public override async Task<int> TickAsync(CancellationToken ct)
    {
        var checkedCount = 0;
        foreach (var domain in await AcquireDueAsync(ct))
        {
            try
            {
                if (await CheckAsync(domain, ct)) checkedCount++;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogWatchFailed(domain, ex.Message);
            }
        }
        return checkedCount;
    }

    private async Task<bool> CheckAsync(string domain, CancellationToken ct)
    {
        if (await PromotionWatches.FindAsync(db, domain, ct) is not { } watch
            || !PromotionWatch.IsDue(watch.State, Clock.GetUtcNow().UtcDateTime, Options.Value.WatchCheckInterval)) return false;
        var limits = await RolloutController.ThresholdsOfAsync(db, domain, ct);
        var state = watch.State;
        var request = new AnalyzeRequest
        {
            Domain = domain,
            BaselineVersion = state.PreviousVersion,
            CandidateVersion = state.Version,
            Thresholds = RolloutController.ThresholdsFor(limits, limits.MinSamples),
            // The watched version since the switch, against the previous stable over its window before it.
            PhaseStartedAtUnixMs = new DateTimeOffset(state.StartedAt).ToUnixTimeMilliseconds(),
            BaselineFromUnixMs = new DateTimeOffset(state.BaselineFrom).ToUnixTimeMilliseconds(),
            BaselineUntilUnixMs = new DateTimeOffset(state.StartedAt).ToUnixTimeMilliseconds(),
        };
        WatchDecision decision;
        IReadOnlyList<AnalysisFigure> figures = [];
        var now = Clock.GetUtcNow().UtcDateTime;
        try
        {
            var reply = await analysis.AnalyzeAsync(request, deadline: DateTime.UtcNow + Options.Value.AnalysisTimeout, cancellationToken: ct);
            figures = AnalysisFigure.From(reply.Metrics);
            decision = PromotionWatch.OnCheck(state, CanaryStateMachine.ParseVerdict(reply.Verdict), figures.Select(f => f.ToCheck()).ToList(),
                limits.MinSamples, limits.MaxErrorRateIncrease, now, string.IsNullOrWhiteSpace(reply.Reason) ? reply.Verdict : reply.Reason);
        }
        catch (RpcException ex)
        {
            LogAnalysisFailed(domain, ex.Status.StatusCode, ex.Status.Detail);
            decision = PromotionWatch.Unchecked(state, now, $"the analysis failed: {ex.Status.StatusCode}");
        }
        return await deployments.ApplyWatchCheckAsync(domain, watch, decision, figures, Owner, ct);
    }

    /// <summary>Leases the watching versions whose next check is due and that no live lease holds.</summary>
    private async Task<IReadOnlyList<string>> AcquireDueAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var now = Clock.GetUtcNow().UtcDateTime;
        var domains = await connection.QueryAsync<string>(new CommandDefinition("""
            UPDATE promotion_watches SET lease_owner = @Owner, lease_expires_at = @now + make_interval(secs => @lease)
            WHERE domain_id IN (
                SELECT domain_id FROM promotion_watches
                WHERE status = 'Watching'
                  AND (last_checked_at IS NULL OR last_checked_at + make_interval(secs => @interval) <= @now OR until <= @now)
                  AND (lease_owner IS NULL OR lease_expires_at < @now OR lease_owner = @Owner)
                ORDER BY updated_at LIMIT 20
                FOR UPDATE SKIP LOCKED)
            RETURNING domain_id
            """, new { Owner, now, lease = Options.Value.RolloutLease.TotalSeconds, interval = Options.Value.WatchCheckInterval.TotalSeconds }, cancellationToken: ct));
        return domains.AsList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch controller pass failed: {Reason}")]
    private partial void LogTickFailed(string reason);

    protected override void OnTickFailed(string reason) => LogTickFailed(reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The watch of {Domain} could not be checked in this pass: {Reason}")]
    private partial void LogWatchFailed(string domain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Post-promotion analysis of {Domain} failed: {Code} {Detail}")]
    private partial void LogAnalysisFailed(string domain, StatusCode code, string detail);
}
