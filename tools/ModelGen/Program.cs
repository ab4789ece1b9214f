using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DomainPlatform.LlamaCpp;
using DomainPlatform.LlamaCpp.Gguf;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.ModelGen;

/// <summary>
/// modelgen generate --out .models/demo.gguf [--layers 2 --embd 64 --heads 4 --ctx 512 --type f32 --seed 1]
/// modelgen inspect FILE
/// modelgen run FILE [--prompt TEXT --tokens 32 --gpu-layers 0 --threads N]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write the GGUF file.", Required = true };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks.", DefaultValueFactory = _ => 2 };
        var embd = new Option<int>("--embd") { Description = "Embedding width.", DefaultValueFactory = _ => 64 };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads (grouped-query attention); default: --heads." };
        var ffn = new Option<int?>("--ffn") { Description = "Feed-forward width; default: 4 x --embd." };
        var context = new Option<int>("--ctx") { Description = "Training context length.", DefaultValueFactory = _ => 512 };
        var type = new Option<string>("--type") { Description = "Weight type: f32 or f16.", DefaultValueFactory = _ => "f32" };
        type.AcceptOnlyFromAmong("f32", "f16");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 1UL };
        var name = new Option<string>("--name") { Description = "general.name in the file.", DefaultValueFactory = _ => "tiny-llama" };

        var generate = new Command("generate", "Write a llama-architecture GGUF with random weights and a small vocabulary.")
        {
            output, layers, embd, heads, kvHeads, ffn, context, type, seed, name,
        };
        generate.SetAction(result =>
        {
            var options = new TinyModelOptions
            {
                Layers = result.GetValue(layers),
                EmbeddingSize = result.GetValue(embd),
                Heads = result.GetValue(heads),
                KvHeads = result.GetValue(kvHeads),
                FeedForwardSize = result.GetValue(ffn),
                ContextLength = result.GetValue(context),
                TensorType = result.GetValue(type) == "f16" ? GgmlType.F16 : GgmlType.F32,
                Seed = result.GetValue(seed),
                Name = result.GetValue(name)!,
            };
            return Run(() =>
            {
                var summary = TinyModelGenerator.Write(result.GetValue(output)!.FullName, options);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote {summary.Path}: {summary.ParameterCount:N0} parameters, {summary.TensorCount} tensors, vocabulary {summary.VocabularySize}, {summary.FileBytes:N0} bytes"));
            });
        });

        var file = new Argument<FileInfo>("file") { Description = "GGUF file to check." };
        var inspect = new Command("inspect", "Print a GGUF file's header summary, or why it cannot be loaded.") { file };
        inspect.SetAction(result => Run(() => Inspect(result.GetValue(file)!.FullName)));

        var model = new Argument<FileInfo>("file") { Description = "GGUF model to run." };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text.", DefaultValueFactory = _ => "hello world" };
        var tokens = new Option<int>("--tokens") { Description = "Tokens to generate (greedy).", DefaultValueFactory = _ => 32 };
        var gpuLayers = new Option<int>("--gpu-layers") { Description = "Layers on the GPU; -1 for all.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int?>("--threads") { Description = "Decode threads; default: all cores." };
        var run = new Command("run", "Load a model with llama.cpp and generate greedily, printing the text and decode speed.")
        {
            model, prompt, tokens, gpuLayers, threads,
        };
        run.SetAction(result => Run(() => Generate(
            result.GetValue(model)!.FullName, result.GetValue(prompt)!, result.GetValue(tokens), result.GetValue(gpuLayers), result.GetValue(threads))));

        var root = new RootCommand("Generates, inspects and runs GGUF models for DomainPlatform.") { generate, inspect, run };
        return root.Parse(args).Invoke();
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception exception) when (exception is GgufFormatException or LlamaException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {exception.Message}");
            return 1;
        }
    }

    private static void Generate(string path, string prompt, int maxTokens, int gpuLayers, int? threads)
    {
        LlamaRuntime.Initialize(new LlamaRuntimeOptions { Logger = new ConsoleLogger(LogLevel.Information) });
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = gpuLayers });
        using var context = model.CreateContext(new LlamaContextOptions { ContextSize = Math.Min(model.TrainContextLength, 4096), Threads = threads });
        using var sampler = LlamaSampler.Create(SamplingOptions.Greedy, model.Vocab.Count);
        var stopwatch = Stopwatch.StartNew();
        var result = LlamaGenerator.Generate(context, sampler, prompt, maxTokens, stopAtEndOfGeneration: false);
        stopwatch.Stop();
        var performance = context.GetPerformance();
        Console.WriteLine(result.Text);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.PromptTokens.Length} prompt tokens, {result.Tokens.Length} generated in {stopwatch.Elapsed.TotalMilliseconds:F0} ms; " +
            $"llama.cpp: prompt {performance.PromptEvalMs:F1} ms, decode {performance.EvalTokens} tokens in {performance.EvalMs:F1} ms " +
            $"({(performance.EvalMs > 0 ? performance.EvalTokens * 1000 / performance.EvalMs : 0):F1} tokens/s)"));
    }

    private static void Inspect(string path)
    {
        var header = GgufReader.Read(path);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path}: GGUF v{header.Version}, {header.FileLength:N0} bytes, alignment {header.Alignment}, data at {header.DataOffset:N0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {header.Metadata.Count} metadata entries, {header.Tensors.Count} tensors, {header.TensorDataBytes:N0} bytes of tensor data"));
        var architecture = header.Architecture ?? "(none)";
        Console.WriteLine($"  architecture: {architecture}, name: {header.GetString("general.name") ?? "(none)"}");
        foreach (var (key, value) in header.Metadata.Where(entry => entry.Key.StartsWith(architecture + ".", StringComparison.Ordinal)).OrderBy(entry => entry.Key))
        {
            Console.WriteLine($"  {key} = {value}");
        }
        if (header.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens))
        {
            Console.WriteLine($"  vocabulary: {tokens.ArrayLength} tokens ({header.GetString("tokenizer.ggml.model") ?? "?"}), chat template: {(header.Metadata.ContainsKey("tokenizer.chat_template") ? "yes" : "no")}");
        }
        foreach (var tensor in header.Tensors.Take(12))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  tensor {tensor.Name,-28} {tensor.Type,-5} [{string.Join(", ", tensor.Dimensions)}] {tensor.ByteSize:N0} bytes"));
        }
        if (header.Tensors.Count > 12)
        {
            Console.WriteLine($"  ... {header.Tensors.Count - 12} more tensors");
        }
        GgufValidator.Validate(header);
        Console.WriteLine("  valid: llama.cpp may load it");
    }
}
