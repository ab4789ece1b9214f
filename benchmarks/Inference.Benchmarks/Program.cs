using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DomainPlatform.Inference;
using DomainPlatform.Inference.Domain;
using DomainPlatform.Inference.Runtime;
using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// Prints two tables: single-stream decode tokens/s of this service's runtime against node-llama-cpp on the same
// GGUF in the same run, and aggregate tokens/s with p50/p99 time to first token at 1, 4, 16 and 32 streams.
//   dotnet run -c Release --project benchmarks/Inference.Benchmarks -- [--threads N] [--tokens N] [--runs N] [--samples N] [--model file.gguf]
// With --scenario co-located: a canary beside its stable version (the same GGUF twice), latency ratios at weights
// 1, 10 and 50% and the throughput of 1, 2 and 4 loaded models, against one decode thread per model in the same run.
//   ... -- --scenario co-located [--tokens 16] [--load 0.5] [--canary-samples 30] [--seconds 10]
var settings = BenchSettings.Parse(args);
var root = Repository.Root();
var modelPath = settings.Model ?? Path.Combine(root, ".models", "bench-llama-4x256-f16.gguf");
if (settings.Model is null && !File.Exists(modelPath))
{
    Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
    TinyModelGenerator.Write(modelPath, new TinyModelOptions
    {
        Layers = 4, EmbeddingSize = 256, Heads = 8, ContextLength = 8192, TensorType = GgmlType.F16, Seed = 11, Name = "bench-llama",
    });
}

var services = new ServiceCollection().AddMetrics().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole()).BuildServiceProvider();
var loggerFactory = services.GetRequiredService<ILoggerFactory>();
LlamaRuntime.Initialize(new LlamaRuntimeOptions { Logger = loggerFactory.CreateLogger("llama.cpp") });
var metrics = new InferenceMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
var options = Options.Create(new InferenceOptions { Threads = settings.Threads, MaxQueueLength = 1024, PrefillChunkTokens = 128 });
await using var pool = new ModelPool(options, metrics, loggerFactory);

Console.WriteLine($"model {Path.GetFileName(modelPath)} ({new FileInfo(modelPath).Length / 1048576.0:0.0} MiB), {settings.Threads} threads, " +
                  $"{Environment.ProcessorCount} cores, llama.cpp from {LlamaRuntime.Info.NativeDirectory}");
Console.WriteLine($"machine load average at start: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine();
if (settings.Scenario == "co-located")
{
    await DomainPlatform.Inference.Benchmarks.CoLocatedModels.RunAsync(modelPath, settings, metrics, loggerFactory);
    Console.WriteLine($"machine load average at end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    return 0;
}

const string Prompt = "Once upon a time there was a small llama";

// 1. Single stream: this runtime vs node-llama-cpp, interleaved run by run so both see the same machine load.
await pool.LoadAsync(new ModelSpec("single", modelPath, null, 0, 4096, 1), CancellationToken.None);
var ours = new List<double>();
var theirs = new List<double>();
var ratios = new List<double>();
string? nodeError = null;
for (var run = 0; run < settings.Runs; run++)
{
    var mine = (await RunStreamsAsync(pool, "single", 1, settings.Tokens)).DecodeRates.Single();
    ours.Add(mine);
    var node = await NodeLlamaCpp.MeasureAsync(root, modelPath, Prompt, settings.Tokens, settings.Threads, runs: 1);
    if (node.Rates is not { Count: > 0 } nodeRates)
    {
        nodeError = node.Error;
        continue;
    }
    theirs.Add(nodeRates[0]);
    ratios.Add(mine / nodeRates[0]);
}
await pool.UnloadAsync("single", CancellationToken.None);

Console.WriteLine($"Single-stream greedy decode, {settings.Tokens} tokens, {settings.Runs} interleaved runs each");
Console.WriteLine("| runtime | tokens/s (best) | tokens/s (median) |");
Console.WriteLine("| --- | ---: | ---: |");
Console.WriteLine($"| DomainPlatform inference (ModelScheduler) | {ours.Max():0.0} | {Median(ours):0.0} |");
if (theirs.Count > 0)
{
    Console.WriteLine($"| node-llama-cpp {NodeLlamaCpp.Version} | {theirs.Max():0.0} | {Median(theirs):0.0} |");
    Console.WriteLine($"| ratio ours / node-llama-cpp | best/best {ours.Max() / theirs.Max():0.00} | median of per-run ratios {Median(ratios):0.00} |");
}
else
{
    Console.WriteLine($"| node-llama-cpp {NodeLlamaCpp.Version} | not measured: {nodeError} | |");
}
Console.WriteLine();

// 2. Continuous batching: aggregate throughput and time to first token.
await pool.LoadAsync(new ModelSpec("batched", modelPath, null, 0, 32 * 512, 32), CancellationToken.None);
Console.WriteLine($"Continuous batching, 32 slots, {settings.Tokens} tokens per stream, greedy");
Console.WriteLine("| streams | requests | aggregate tokens/s | per-stream tokens/s (median) | TTFT p50 (ms) | TTFT p99 (ms) |");
Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var streams in new[] { 1, 4, 16, 32 })
{
    var ttfts = new List<double>();
    var perStream = new List<double>();
    long tokens = 0;
    var wall = TimeSpan.Zero;
    // Enough rounds for at least --samples time-to-first-token samples.
    for (var round = 0; round < Math.Max(1, settings.Samples / streams); round++)
    {
        var result = await RunStreamsAsync(pool, "batched", streams, settings.Tokens);
        ttfts.AddRange(result.TimeToFirstTokenMs);
        perStream.AddRange(result.DecodeRates);
        tokens += result.Tokens;
        wall += result.Wall;
    }
    Console.WriteLine($"| {streams} | {ttfts.Count} | {tokens / wall.TotalSeconds:0.0} | {Median(perStream):0.0} | {Percentile(ttfts, 0.50):0.0} | {Percentile(ttfts, 0.99):0.0} |");
}
Console.WriteLine();
Console.WriteLine($"machine load average at end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
return 0;

static async Task<StreamsResult> RunStreamsAsync(ModelPool pool, string model, int streams, int tokens)
{
    var spec = new GenerationSpec
    {
        Model = model, Prompt = Prompt, MaxTokens = tokens, IgnoreEos = true, Sampling = SamplingOptions.Greedy,
    };
    var started = Stopwatch.GetTimestamp();
    var runs = Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
    {
        var submitted = Stopwatch.GetTimestamp();
        var request = pool.Submit(spec, CancellationToken.None);
        long first = 0;
        long last = 0;
        var count = 0;
        await foreach (var update in request.Updates.ReadAllAsync())
        {
            if (update.IsFinal)
            {
                count = update.CompletionTokens;
                break;
            }
            last = Stopwatch.GetTimestamp();
            if (first == 0)
            {
                first = last;
            }
        }
        var decode = Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        return (Ttft: Stopwatch.GetElapsedTime(submitted, first).TotalMilliseconds, Rate: decode > 0 ? (count - 1) / decode : 0, Count: count);
    })).ToList();
    var results = await Task.WhenAll(runs);
    var wall = Stopwatch.GetElapsedTime(started);
    return new StreamsResult([.. results.Select(r => r.Ttft)], [.. results.Select(r => r.Rate)], results.Sum(r => r.Count), wall);
}

static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

static double Percentile(IReadOnlyList<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal sealed record StreamsResult(double[] TimeToFirstTokenMs, double[] DecodeRates, long Tokens, TimeSpan Wall);

internal sealed record BenchSettings(
    int Threads, int Tokens, int Runs, int Samples, string? Model, string Scenario, double Load, int CanarySamples, int Seconds)
{
    public static BenchSettings Parse(string[] args)
    {
        var threads = Environment.ProcessorCount;
        int? tokens = null;
        var runs = 5;
        var samples = 32;
        string? model = null;
        var scenario = "decode";
        var load = 0.5;
        var canarySamples = 30;
        var seconds = 10;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--tokens": tokens = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--samples": samples = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--model": model = Path.GetFullPath(args[i + 1]); break;
                case "--scenario" when args[i + 1] is "decode" or "co-located": scenario = args[i + 1]; break;
                case "--load": load = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--canary-samples": canarySamples = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown option or value {args[i]} {args[i + 1]} (use --threads, --tokens, --runs, " +
                                                     "--samples, --model, --scenario decode|co-located, --load, --canary-samples, --seconds).");
            }
        }
        return new BenchSettings(threads, tokens ?? (scenario == "decode" ? 128 : 16), runs, samples, model, scenario, load, canarySamples, seconds);
    }
}

internal static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DomainPlatform.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Run from inside the repository (no DomainPlatform.sln found).");
    }
}

/// <summary>node-llama-cpp, installed once into the ignored .platform/node-bench folder, on the same GGUF.</summary>
internal static class NodeLlamaCpp
{
    public const string Version = "3.22.1";

    public static async Task<(List<double>? Rates, string? Error)> MeasureAsync(string root, string model, string prompt, int tokens, int threads, int runs)
    {
        var prefix = Path.Combine(root, ".platform", "node-bench");
        if (!File.Exists(Path.Combine(prefix, "node_modules", "node-llama-cpp", "package.json")))
        {
            Directory.CreateDirectory(prefix);
            // Only the CPU binaries: the CUDA and Vulkan optional packages are large and unused here.
            var (code, _, errors) = await RunAsync("npm", ["install", "--no-audit", "--no-fund", "--omit=optional", "--prefix", prefix,
                $"node-llama-cpp@{Version}", $"@node-llama-cpp/linux-x64@{Version}"]);
            if (code != 0)
            {
                return (null, $"npm install failed: {errors.Trim().Split('\n').LastOrDefault()}");
            }
        }
        var script = Path.Combine(AppContext.BaseDirectory, "node-llama-cpp-bench.mjs");
        var (exit, output, stderr) = await RunAsync("node", [script, prefix, model, prompt, tokens.ToString(CultureInfo.InvariantCulture),
            threads.ToString(CultureInfo.InvariantCulture), runs.ToString(CultureInfo.InvariantCulture)]);
        if (exit != 0)
        {
            return (null, $"node exited with {exit}: {stderr.Trim().Split('\n').LastOrDefault()}");
        }
        var line = output.Trim().Split('\n')[^1];
        var rates = JsonDocument.Parse(line).RootElement.GetProperty("rates").EnumerateArray().Select(r => r.GetDouble()).ToList();
        return (rates, null);
    }

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await errors);
    }
}
