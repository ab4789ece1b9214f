using System.Diagnostics;
using DomainPlatform.Inference;
using DomainPlatform.Inference.Domain;
using DomainPlatform.Inference.Runtime;
using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Inference.Benchmarks;

/// <summary>
/// Models that share one machine, as a canary shares it with its stable version. Served by one pool (one device
/// scheduler: the models' decode steps take turns; identical bytes share one model and its batches) and, as the peer
/// in the same run, by one pool per model (each model with its own decode thread using every core: the former
/// design). Prints the canary/stable latency ratio at canary weights 1, 10 and 50% under open-loop Poisson traffic, for
/// a byte-identical canary and for one of the same shape with other weights, and the aggregate throughput of 1, 2 and
/// 4 loaded models under the same closed-loop load.
/// </summary>
internal static class CoLocatedModels
{
    private const string Prompt = "Once upon a time there was a small llama";
    private const int Slots = 16;
    private const int SlotTokens = 256;

    public static async Task RunAsync(string modelPath, BenchSettings settings, InferenceMetrics metrics, ILoggerFactory loggerFactory)
    {
        var options = Options.Create(new InferenceOptions { Threads = settings.Threads, MaxQueueLength = 4096, PrefillChunkTokens = 128 });
        // The same shape with other random weights: a canary that cannot share the stable's batches.
        var header = GgufValidator.ValidateFile(modelPath);
        var otherPath = Path.Combine(Path.GetDirectoryName(modelPath)!, Path.GetFileNameWithoutExtension(modelPath) + "-other-weights.gguf");
        if (!File.Exists(otherPath))
        {
            var shape = ModelShape.FromGguf(header);
            TinyModelGenerator.Write(otherPath, new TinyModelOptions
            {
                Layers = shape.Layers, EmbeddingSize = shape.EmbeddingSize, Heads = shape.Heads, ContextLength = 8192, TensorType = GgmlType.F16,
                Seed = 12, Name = "bench-llama-other",
            });
        }
        var designs = new (string Name, Func<string[], Task<Serving>> Open)[]
        {
            ("one device scheduler", paths => Serving.SharedAsync(paths, options, metrics, loggerFactory)),
            ("a decode thread per model (former design)", paths => Serving.SeparateAsync(paths, options, metrics, loggerFactory)),
        };
        var pairs = new (string Name, string[] Paths, bool FormerToo)[]
        {
            ("identical bytes", [modelPath, modelPath], true),
            ("same shape, other weights", [modelPath, otherPath], false),
        };

        // The arrival rate: about half of what one model serves alone, so the stable is busy much of the time.
        double aloneMs;
        await using (var alone = await designs[0].Open([modelPath]))
        {
            await alone.RequestAsync(0, settings.Tokens);
            var runs = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                runs.Add((await alone.RequestAsync(0, settings.Tokens)).Ms);
            }
            aloneMs = Median(runs);
        }
        var rate = settings.Load * 1000 / aloneMs;
        Console.WriteLine($"Canary beside its stable version: the same GGUF loaded twice, {settings.Tokens} tokens a request, greedy; " +
                          $"one request alone takes {aloneMs:0.0} ms; Poisson arrivals at {rate:0.0} req/s (load {settings.Load:0.00}); " +
                          $"each weight runs until the canary has {settings.CanarySamples} requests");
        Console.WriteLine("Own latency: a request's latency less the device time other models took while it was in flight (timings.shared_device_ms), what canary analysis judges.");
        Console.WriteLine("| serving | canary | canary weight | requests canary / stable | latency p50 canary / stable (ms) | mean canary / stable (ms) | ratio of p50 | ratio of means | own p50 canary / stable (ms) | ratio of own p50 | ratio of own means |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, open) in designs)
        {
            foreach (var pair in pairs.Where(p => p.FormerToo || name == designs[0].Name))
            {
                await using var serving = await open(pair.Paths);
                foreach (var weight in new[] { 0.01, 0.10, 0.50 })
                {
                    var (canaryRuns, stableRuns) = await OpenLoopAsync(serving, weight, rate, settings.Tokens, settings.CanarySamples);
                    var (canary, stable) = (canaryRuns.Select(r => r.Ms).ToList(), stableRuns.Select(r => r.Ms).ToList());
                    var (canaryOwn, stableOwn) = (canaryRuns.Select(r => r.OwnMs).ToList(), stableRuns.Select(r => r.OwnMs).ToList());
                    Console.WriteLine($"| {name} | {pair.Name} | {weight:P0} | {canary.Count} / {stable.Count} | {Median(canary):0.0} / {Median(stable):0.0} | " +
                                      $"{canary.Average():0.0} / {stable.Average():0.0} | {Median(canary) / Median(stable):0.00} | {canary.Average() / stable.Average():0.00} | " +
                                      $"{Median(canaryOwn):0.0} / {Median(stableOwn):0.0} | {Median(canaryOwn) / Median(stableOwn):0.00} | {canaryOwn.Average() / stableOwn.Average():0.00} |");
                }
            }
        }
        Console.WriteLine();

        Console.WriteLine($"Aggregate throughput of co-located models: {Slots} closed-loop streams split evenly over the models, " +
                          $"{settings.Tokens} tokens a request, {settings.Seconds} s each");
        Console.WriteLine("| serving | models | aggregate tokens/s | ratio to one model |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (name, open) in designs)
        {
            double? one = null;
            foreach (var models in new[] { 1, 2, 4 })
            {
                // Distinct settings per model, so identical bytes do not share: each is a model of its own.
                await using var serving = await open(Enumerable.Repeat(modelPath, models).ToArray());
                var tokensPerSecond = await ClosedLoopAsync(serving, models, Slots, settings.Tokens, TimeSpan.FromSeconds(settings.Seconds));
                one ??= tokensPerSecond;
                Console.WriteLine($"| {name} | {models} | {tokensPerSecond:0.0} | {tokensPerSecond / one:0.00} |");
            }
        }
        Console.WriteLine();
    }

    private static async Task<(List<(double Ms, double OwnMs)> Canary, List<(double Ms, double OwnMs)> Stable)> OpenLoopAsync(
        Serving serving, double weight, double rate, int tokens, int canarySamples)
    {
        var random = new Random(17);
        var canary = new List<(double Ms, double OwnMs)>();
        var stable = new List<(double Ms, double OwnMs)>();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var due = 0.0;
        var canaries = 0;
        // Bounded: the weight ends once the canary has its samples, after 20 times the expected requests, or after 3 minutes.
        var limit = (int)Math.Ceiling(20 * canarySamples / weight);
        for (var sent = 0; canaries < canarySamples && sent < limit && clock.Elapsed < TimeSpan.FromMinutes(3); sent++)
        {
            due += -Math.Log(1 - random.NextDouble()) / rate;
            var wait = TimeSpan.FromSeconds(due) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            var toCanary = random.NextDouble() < weight;
            canaries += toCanary ? 1 : 0;
            var target = toCanary ? canary : stable;
            inFlight.Add(Task.Run(async () =>
            {
                var run = await serving.RequestAsync(toCanary ? 1 : 0, tokens);
                lock (target)
                {
                    target.Add(run);
                }
            }));
        }
        await Task.WhenAll(inFlight);
        return (canary, stable);
    }

    private static async Task<double> ClosedLoopAsync(Serving serving, int models, int streams, int tokens, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, streams).Select(stream => Task.Run(async () =>
        {
            var produced = 0L;
            while (clock.Elapsed < duration)
            {
                await serving.RequestAsync(stream % models, tokens);
                produced += tokens;
            }
            return produced;
        })).ToList();
        var total = (await Task.WhenAll(runs)).Sum();
        return total / clock.Elapsed.TotalSeconds;
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(sorted.Length - 1) / 2];
    }

    /// <summary>Model i is loaded as "model-i"; <see cref="RequestAsync"/> returns a request's latency and own latency in ms.</summary>
    private sealed class Serving(IReadOnlyList<(ModelPool Pool, string Id)> models) : IAsyncDisposable
    {
        /// <summary>One pool: one device scheduler; a pair of identical paths shares one model (the canary case).</summary>
        public static async Task<Serving> SharedAsync(string[] paths, IOptions<InferenceOptions> options, InferenceMetrics metrics, ILoggerFactory loggers)
        {
            var pool = new ModelPool(options, metrics, loggers);
            var models = new List<(ModelPool, string)>();
            var distinct = paths.Length > 2;
            for (var i = 0; i < paths.Length; i++)
            {
                await pool.LoadAsync(Spec(i, paths[i], distinct), CancellationToken.None);
                models.Add((pool, $"model-{i}"));
            }
            return new Serving(models);
        }

        public static async Task<Serving> SeparateAsync(string[] paths, IOptions<InferenceOptions> options, InferenceMetrics metrics, ILoggerFactory loggers)
        {
            var models = new List<(ModelPool, string)>();
            for (var i = 0; i < paths.Length; i++)
            {
                var pool = new ModelPool(options, metrics, loggers);
                await pool.LoadAsync(Spec(i, paths[i], distinct: false), CancellationToken.None);
                models.Add((pool, $"model-{i}"));
            }
            return new Serving(models);
        }

        // Slot counts 16, 17, 18, ... keep models of identical bytes apart when each is meant to be its own.
        private static ModelSpec Spec(int i, string path, bool distinct) =>
            new($"model-{i}", path, null, 0, (Slots + (distinct ? i : 0)) * SlotTokens, Slots + (distinct ? i : 0));

        public async Task<(double Ms, double OwnMs)> RequestAsync(int model, int tokens)
        {
            var (pool, id) = models[model];
            var started = Stopwatch.GetTimestamp();
            var request = pool.Submit(new GenerationSpec
            {
                Model = id, Prompt = Prompt, MaxTokens = tokens, IgnoreEos = true, Sampling = SamplingOptions.Greedy,
            }, CancellationToken.None);
            var shared = 0.0;
            await foreach (var update in request.Updates.ReadAllAsync())
            {
                if (update.IsFinal)
                {
                    shared = update.SharedDeviceMs;
                    break;
                }
            }
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return (ms, Math.Max(0, ms - shared));
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var pool in models.Select(m => m.Pool).Distinct())
            {
                await pool.DisposeAsync();
            }
        }
    }
}
