using DomainPlatform.Console.Gateway;
using DomainPlatform.Console.Live;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Console.Components.Shared;

/// <summary>
/// A page that stays live: it reads the APIs when it opens, again whenever a platform event changes something it shows
/// (<see cref="Shows"/>, through <see cref="LiveChanges"/>), and every <see cref="ConsoleOptions.RefreshInterval"/> for
/// what no event announces, on the server (the circuit pushes what changed to the browser), until the page is left.
/// Events that arrive while it reads make one more read, not one each. A refusal or an unreachable service is shown on
/// the page and the next look tries again.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private IDisposable? subscription;
    // 1 while a read for an event is waiting to start: later events until it starts are covered by it.
    private int changePending;

    [Inject] protected GatewayClient Gateway { get; set; } = default!;
    [Inject] private IOptions<ConsoleOptions> Options { get; set; } = default!;
    [Inject] protected TimeProvider Time { get; set; } = default!;
    [Inject] private LiveChanges Live { get; set; } = default!;

    /// <summary>The last read's refusal, if it failed.</summary>
    protected GatewayProblem? LoadProblem { get; private set; }

    /// <summary>When the shown data was read.</summary>
    protected DateTimeOffset? UpdatedAt { get; private set; }

    protected bool Loaded { get; private set; }

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task LoadAsync(CancellationToken ct);

    protected override async Task OnParametersSetAsync() => await RefreshAsync();

    /// <summary>
    /// Whether a change is to something this page shows (<see cref="PageInterest"/>). By default every change but a running
    /// job's progress (a report a second, for the pages that show that job). Called on the thread that delivers events.
    /// </summary>
    protected virtual bool Shows(ConsoleChange change) => PageInterest.Default(change);

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        // Only once interactive: a prerendered page is gone before any event could reach it.
        subscription = Live.Subscribe(Shows, OnChanged);
        _ = RefreshLoopAsync();
    }

    private void OnChanged()
    {
        if (Interlocked.Exchange(ref changePending, 1) == 1 || stop.IsCancellationRequested) return;
        _ = RefreshForChangeAsync();
    }

    private async Task RefreshForChangeAsync()
    {
        try
        {
            await InvokeAsync(async () =>
            {
                Volatile.Write(ref changePending, 0);
                if (stop.IsCancellationRequested) return;
                await RefreshAsync();
                StateHasChanged();
            });
        }
        catch (ObjectDisposedException)
        {
            // The circuit went while the event was on its way.
        }
    }

    /// <summary>Reads again now (after an action, or when the page's parameters change).</summary>
    protected async Task RefreshAsync()
    {
        try
        {
            await LoadAsync(stop.Token);
            LoadProblem = null;
            UpdatedAt = Time.GetUtcNow();
            Loaded = true;
        }
        catch (GatewayProblem problem)
        {
            LoadProblem = problem;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(Options.Value.RefreshInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        subscription?.Dispose();
        stop.Cancel();
        stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
