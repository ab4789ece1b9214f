using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace DomainPlatform.Inference.Tests;

/// <summary>The service on a real Kestrel port (the node client cannot reach the in-memory test server).</summary>
public sealed class KestrelInferenceFactory : InferenceFactory
{
    public KestrelInferenceFactory()
    {
        Port = FreePort();
        UseKestrel(Port);
    }

    public int Port { get; }

    /// <summary>A free port in 47000-48999, the range this machine leaves to these tests.</summary>
    private static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(47000, 49000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
        throw new InvalidOperationException("No free port in 47000-48999.");
    }
}

public sealed class OpenAiClientTests(KestrelInferenceFactory factory) : IClassFixture<KestrelInferenceFactory>
{
    public const string OpenAiPackage = "openai@5.12.0";

    [Fact]
    public async Task The_official_openai_npm_client_talks_to_the_service_streaming_and_not()
    {
        var ct = TestContext.Current.CancellationToken;
        factory.StartServer();
        await factory.ReadyClientAsync();
        var packageDir = await EnsureOpenAiPackageAsync(ct);
        var script = Path.Combine(AppContext.BaseDirectory, "openai-client.mjs");

        var (exit, output, errors) = await RunAsync("node", [script, $"http://127.0.0.1:{factory.Port}/v1", InferenceFactory.ModelId, packageDir], ct);
        Assert.True(exit == 0, $"node exited with {exit}: {errors}\n{output}");
        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;

        Assert.Contains(InferenceFactory.ModelId, result.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.False(string.IsNullOrEmpty(result.GetProperty("chatText").GetString()));
        Assert.Equal("length", result.GetProperty("chatFinish").GetString());
        Assert.Equal(16, result.GetProperty("chatUsage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(result.GetProperty("chatText").GetString(), result.GetProperty("streamText").GetString());
        Assert.Equal("length", result.GetProperty("streamFinish").GetString());
        Assert.Equal(16, result.GetProperty("streamUsage").GetProperty("completion_tokens").GetInt32());
        Assert.False(string.IsNullOrEmpty(result.GetProperty("completionText").GetString()));
        Assert.Equal("length", result.GetProperty("completionFinish").GetString());
        var apiError = result.GetProperty("apiError");
        Assert.Equal(400, apiError.GetProperty("status").GetInt32());
        Assert.Equal("top_p", apiError.GetProperty("param").GetString());

        // Embeddings as floats, and as base64 (the client's default, which it decodes to floats itself): the same vectors.
        var embeddings = result.GetProperty("embeddings");
        Assert.Equal("list", embeddings.GetProperty("object").GetString());
        Assert.Equal(InferenceFactory.ModelId, embeddings.GetProperty("model").GetString());
        float[][] Vectors(string name) => embeddings.GetProperty(name).EnumerateArray()
            .Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        var floats = Vectors("float");
        Assert.Equal(2, floats.Length);
        Assert.All(floats, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 4));
        Assert.Equal(floats, Vectors("base64"));
        var raw = Convert.FromBase64String(embeddings.GetProperty("base64Raw").GetString()!);
        Assert.Equal(floats[0], Enumerable.Range(0, raw.Length / 4).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4))).ToArray());
        var usage = embeddings.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(400, embeddings.GetProperty("error").GetProperty("status").GetInt32());
        Assert.Equal("dimensions", embeddings.GetProperty("error").GetProperty("param").GetString());
    }

    /// <summary>Installs the openai package into the ignored .platform/node folder once; fails loudly when npm cannot.</summary>
    private static async Task<string> EnsureOpenAiPackageAsync(CancellationToken ct)
    {
        var root = FindRepositoryRoot();
        var prefix = Path.Combine(root, ".platform", "node");
        var package = Path.Combine(prefix, "node_modules", "openai", "package.json");
        if (File.Exists(package))
        {
            return prefix;
        }
        Directory.CreateDirectory(prefix);
        var (exit, output, errors) = await RunAsync("npm", ["install", "--no-audit", "--no-fund", "--prefix", prefix, OpenAiPackage], ct);
        Assert.True(exit == 0 && File.Exists(package),
            $"npm could not install {OpenAiPackage} into {prefix} (is the npm registry reachable?): exit {exit}\n{errors}\n{output}");
        return prefix;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DomainPlatform.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No DomainPlatform.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string file, IEnumerable<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            Assert.Fail($"'{file}' could not be started ({exception.Message}); Node.js and npm are needed for this test.");
            throw;
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, await output, await errors);
        }
    }
}
