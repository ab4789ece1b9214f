using System.Collections.Concurrent;
using System.Net;
using DomainPlatform.Protos.Experimentation;
using DomainPlatform.Protos.Inference;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.Deployment.Tests;

/// <summary>
/// Real gRPC servers standing in for experimentation (CanaryAnalysis) and inference (InferenceRuntime) on a
/// loopback port: the service under test reaches them through its real clients and service discovery.
/// Analyze answers with whatever <see cref="Verdict"/> the test scripts.
/// </summary>
public sealed class FakeRemotes : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeRemotes(WebApplication app) => _app = app;

    public string Address { get; private set; } = "";

    /// <summary>The scripted analysis; default: continue with plenty of samples.</summary>
    public Func<AnalyzeRequest, AnalyzeReply> Verdict { get; set; } = _ => Reply("continue", 500);

    /// <summary>The scripted recent traffic; default: 10 served requests a second over 15 minutes.</summary>
    public Func<RecentTrafficRequest, RecentTrafficReply> Traffic { get; set; } = _ => new RecentTrafficReply { Requests = 9000, Served = 9000, WindowSeconds = 900 };

    public ConcurrentQueue<RecentTrafficRequest> TrafficCalls { get; } = new();

    /// <summary>Model ids whose LoadModel fails, as an inference out of memory would.</summary>
    public ConcurrentDictionary<string, bool> RefuseToLoad { get; } = new();

    /// <summary>Model ids whose LoadModel is refused as a bad file (InvalidArgument), with the reason inference gives.</summary>
    public ConcurrentDictionary<string, string> RefuseAsInvalid { get; } = new();

    public ConcurrentQueue<AnalyzeRequest> AnalyzeCalls { get; } = new();

    /// <summary>
    /// The scripted analysis of post-promotion watches (requests with a baseline window); default: hold, no samples yet.
    /// Kept apart from <see cref="Verdict"/> and <see cref="AnalyzeCalls"/> so that canary tests see only their own.
    /// </summary>
    public Func<AnalyzeRequest, AnalyzeReply> WatchVerdict { get; set; } = _ => Reply("hold", 0, "not enough samples yet");

    public ConcurrentQueue<AnalyzeRequest> WatchCalls { get; } = new();
    public ConcurrentQueue<string> Loaded { get; } = new();
    /// <summary>Every LoadModel request as inference received it (serving settings included).</summary>
    public ConcurrentQueue<LoadModelRequest> LoadRequests { get; } = new();
    public ConcurrentQueue<string> Unloaded { get; } = new();

    public static AnalyzeReply Reply(string verdict, long samples, string reason = "scripted")
    {
        var reply = new AnalyzeReply { Verdict = verdict, Reason = reason };
        reply.Metrics.Add(new MetricComparison { Metric = "error_rate", Baseline = 0.01, Candidate = verdict == "rollback" ? 0.2 : 0.01, BaselineSamples = samples, CandidateSamples = samples, Breached = verdict == "rollback" });
        return reply;
    }

    public static async Task<FakeRemotes> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The service's appsettings.json (copied beside the tests) names fixed Kestrel endpoints: ignore it.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        FakeRemotes? remotes = null;
        builder.Services.AddSingleton(_ => remotes!);
        var app = builder.Build();
        remotes = new FakeRemotes(app);
        app.MapGrpcService<FakeAnalysis>();
        app.MapGrpcService<FakeInference>();
        await app.StartAsync();
        remotes.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return remotes;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private sealed class FakeAnalysis(FakeRemotes remotes) : CanaryAnalysis.CanaryAnalysisBase
    {
        public override Task<AnalyzeReply> Analyze(AnalyzeRequest request, ServerCallContext context)
        {
            if (request.BaselineUntilUnixMs > 0)
            {
                remotes.WatchCalls.Enqueue(request);
                return Task.FromResult(remotes.WatchVerdict(request));
            }
            remotes.AnalyzeCalls.Enqueue(request);
            return Task.FromResult(remotes.Verdict(request));
        }

        public override Task<RecentTrafficReply> RecentTraffic(RecentTrafficRequest request, ServerCallContext context)
        {
            remotes.TrafficCalls.Enqueue(request);
            return Task.FromResult(remotes.Traffic(request));
        }
    }

    private sealed class FakeInference(FakeRemotes remotes) : InferenceRuntime.InferenceRuntimeBase
    {
        public override Task<LoadModelReply> LoadModel(LoadModelRequest request, ServerCallContext context)
        {
            if (remotes.RefuseAsInvalid.TryGetValue(request.ModelId, out var why)) throw new RpcException(new Status(StatusCode.InvalidArgument, why));
            if (remotes.RefuseToLoad.ContainsKey(request.ModelId)) throw new RpcException(new Status(StatusCode.ResourceExhausted, "no memory for another model"));
            remotes.Loaded.Enqueue(request.ModelId);
            remotes.LoadRequests.Enqueue(request);
            return Task.FromResult(new LoadModelReply { Model = new ModelInfo { ModelId = request.ModelId, Path = request.Path, Sha256 = request.Sha256, State = "loaded" } });
        }

        public override Task<UnloadModelReply> UnloadModel(UnloadModelRequest request, ServerCallContext context)
        {
            remotes.Unloaded.Enqueue(request.ModelId);
            return Task.FromResult(new UnloadModelReply { Unloaded = true });
        }
    }
}
