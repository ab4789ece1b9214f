using System.Diagnostics;

namespace DomainPlatform.Inference.Runtime;

/// <summary>What one turn of a model on its device did.</summary>
internal enum StepOutcome
{
    /// <summary>Nothing to decode: no active sequence.</summary>
    Idle,
    /// <summary>One decode step ran.</summary>
    Stepped,
    /// <summary>The model has stopped (unloaded or failed) and leaves the device.</summary>
    Stopped,
}

/// <summary>
/// The one compute scheduler of a device (the CPU, or a GPU): a single thread runs the decode steps of every
/// model on the device, one step of each busy model per round. Each llama_decode uses all of the device's
/// threads, and no two run at once: with a thread per model, two models' ggml workers spun on the same cores
/// and the lightly used one (a canary at 1% of the traffic) paid most of the contention, so identical bytes
/// looked several times slower. Taking turns, a model's step costs the same whether it holds 1% or 99%.
/// </summary>
public sealed class DeviceScheduler : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ModelScheduler> _models = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private ModelScheduler[] _round = [];
    private int _firstOfRound;
    private long _busyTicks;
    private volatile bool _disposed;

    public DeviceScheduler(string device)
    {
        Device = device;
        _thread = new Thread(Run) { IsBackground = true, Name = $"decode {device}" };
        _thread.Start();
    }

    /// <summary>The device's name ("cpu", "gpu").</summary>
    public string Device { get; }

    /// <summary>
    /// Stopwatch ticks the device has spent in steps of any model. A request's wait for other models is the device's busy
    /// time over the request's life less its own model's (<see cref="ModelScheduler.BusyTicks"/>): while a request is in
    /// flight its model always has work, so every other model's step delays it.
    /// </summary>
    public long BusyTicks => Interlocked.Read(ref _busyTicks);

    /// <summary>Models whose steps this device runs.</summary>
    public int ModelCount { get { lock (_gate) { return _models.Count; } } }

    internal void Add(ModelScheduler model)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            _models.Add(model);
            _round = [.. _models];
        }
        Wake();
    }

    /// <summary>Something changed for one of the models (a request queued or cancelled, a stop asked for).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A cancellation after shutdown has nothing left to wake.
        }
    }

    /// <summary>Ends the thread; the pool stops every model before.</summary>
    public void Dispose()
    {
        _disposed = true;
        Wake();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
        _wake.Dispose();
    }

    private void Run()
    {
        while (!_disposed)
        {
            var round = Volatile.Read(ref _round);
            var stepped = false;
            // Each round starts one model further on, so no model is always first after an idle wait.
            _firstOfRound = round.Length == 0 ? 0 : (_firstOfRound + 1) % round.Length;
            for (var i = 0; i < round.Length; i++)
            {
                var model = round[(_firstOfRound + i) % round.Length];
                var turnStarted = Stopwatch.GetTimestamp();
                switch (model.RunTurn())
                {
                    case StepOutcome.Stepped:
                        stepped = true;
                        // The model's time first, then the device's: a request reading them in that order at enqueue can only
                        // under-count its wait by one step of its own model, never count its own step as another's.
                        var took = Stopwatch.GetTimestamp() - turnStarted;
                        model.AddBusyTicks(took);
                        Interlocked.Add(ref _busyTicks, took);
                        break;
                    case StepOutcome.Stopped:
                        Remove(model);
                        break;
                }
            }
            if (!stepped)
            {
                _wake.Wait();
            }
        }
    }

    private void Remove(ModelScheduler model)
    {
        lock (_gate)
        {
            _models.Remove(model);
            _round = [.. _models];
        }
    }
}
