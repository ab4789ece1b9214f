using DomainPlatform.Console.Gateway;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Console.Components.Shared;

/// <summary>
/// A page that stays live: it reads the APIs when it opens and then every <see cref="ConsoleOptions.RefreshInterval"/>
/// on the server (the circuit pushes what changed to the browser), until the page is left. A refusal or an
/// unreachable service is shown on the page and the next look tries again.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource stop = new();

    [Inject] protected GatewayClient Gateway { get; set; } = default!;
    [Inject] private IOptions<ConsoleOptions> Options { get; set; } = default!;
    [Inject] protected TimeProvider Time { get; set; } = default!;

    /// <summary>The last read's refusal, if it failed.</summary>
    protected GatewayProblem? LoadProblem { get; private set; }

    /// <summary>When the shown data was read.</summary>
    protected DateTimeOffset? UpdatedAt { get; private set; }

    protected bool Loaded { get; private set; }

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task LoadAsync(CancellationToken ct);

    protected override async Task OnParametersSetAsync() => await RefreshAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender) _ = RefreshLoopAsync();
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
        stop.Cancel();
        stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
