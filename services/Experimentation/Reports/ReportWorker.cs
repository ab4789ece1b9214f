using System.Text.Json;
using DomainPlatform.Experimentation.Data;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Reports;

/// <summary>Settings of report generation and schedules (<c>Reports:</c>).</summary>
public sealed class ReportOptions
{
    /// <summary>How often the worker looks for queued reports when not woken (a report queued here wakes it at once).</summary>
    public double PollSeconds { get; set; } = 5;
    /// <summary>How long a worker's lease on a report lasts without progress before another replica may take it over.</summary>
    public double LeaseSeconds { get; set; } = 120;
    /// <summary>Whether this replica generates reports (false: it only queues them, for the replicas that do).</summary>
    public bool Generate { get; set; } = true;
    /// <summary>How often the scheduler looks for due schedules.</summary>
    public double ScheduleIntervalSeconds { get; set; } = 60;

    public bool IsValid() =>
        PollSeconds is > 0 and <= 3600 && LeaseSeconds is >= 5 and <= 86_400 && ScheduleIntervalSeconds is > 0 and <= 3600;
}

/// <summary>Wakes the worker when a report is queued in this replica.</summary>
public sealed class ReportSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0) try { _signal.Release(); } catch (SemaphoreFullException) { }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>Generates queued reports one at a time under a lease on each, recording progress, the content or the failure.</summary>
public sealed class ReportWorker(ReportStore store, ReportGenerator generator, ReportSignal signal, IOptions<ReportOptions> options,
    TimeProvider clock, ILogger<ReportWorker> logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Generate) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOneAsync(stoppingToken)) { }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Report worker pass failed");
            }
            try { await signal.WaitAsync(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Claims and generates one report; false when none is waiting.</summary>
    public async Task<bool> RunOneAsync(CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        var report = await store.ClaimAsync(_owner, clock.GetUtcNow().UtcDateTime, lease, ct);
        if (report is null) return false;
        try
        {
            var content = await generator.GenerateAsync(report,
                p => store.ProgressAsync(report.Id, _owner, Math.Min(p, 0.99), clock.GetUtcNow().UtcDateTime + lease, ct), ct);
            var json = JsonSerializer.Serialize(content, ReportJson.Options);
            if (!await store.CompleteAsync(report.Id, _owner, json, clock.GetUtcNow().UtcDateTime, ct))
                logger.LogWarning("Report {Id} was taken over before it completed here", report.Id);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Report {Id} failed", report.Id);
            await store.FailAsync(report.Id, _owner, ex.Message, clock.GetUtcNow().UtcDateTime, ct);
        }
        return true;
    }
}

/// <summary>Runs due report schedules (<see cref="ReportStore.RunDueAsync"/>) every <see cref="ReportOptions.ScheduleIntervalSeconds"/>.</summary>
public sealed class ReportScheduler(ReportStore store, ReportSignal signal, IOptions<ReportOptions> options, TimeProvider clock,
    ILogger<ReportScheduler> logger) : BackgroundService
{
    /// <summary>One look: queues the report of every schedule due at <paramref name="now"/> and wakes the worker.</summary>
    public async Task<IReadOnlyList<ReportRow>> TickAsync(DateTimeOffset now, CancellationToken ct)
    {
        var queued = await store.RunDueAsync(now, ct);
        if (queued.Count > 0) signal.Notify();
        return queued;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ScheduleIntervalSeconds), clock);
        do
        {
            try
            {
                await TickAsync(clock.GetUtcNow(), stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Report schedule look failed");
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}

public static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerOptions.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
