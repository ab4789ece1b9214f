using BenchmarkDotNet.Attributes;

namespace DomainPlatform.Assignment.Benchmarks;

/// <summary>Cost of assigning one request to a variant, as the gateway does on every call.</summary>
[MemoryDiagnoser]
public class AssignmentBenchmarks
{
    private readonly TrafficSplit _abcd = new("experiment-42", [new("a", 25), new("b", 25), new("c", 25), new("d", 25)]);
    private readonly CanarySplit _canary = new("rollout-7", 10);
    private readonly ulong _seed = AssignmentHasher.SeedFor("experiment-42");
    private string _key = "";

    [Params(12, 36, 200)]
    public int KeyLength { get; set; }

    [GlobalSetup]
    public void Setup() => _key = string.Concat(Enumerable.Repeat("user-1234567", 20))[..KeyLength];

    [Benchmark(Baseline = true, Description = "bucket (precomputed salt seed)")]
    public int Bucket() => AssignmentHasher.GetBucket(_seed, _key);

    [Benchmark(Description = "bucket (salt hashed per call)")]
    public int BucketWithSalt() => AssignmentHasher.GetBucket("experiment-42", _key);

    [Benchmark(Description = "A/B/C/D split assign")]
    public string AssignVariant() => _abcd.Assign(_key);

    [Benchmark(Description = "canary split")]
    public bool IsCanary() => _canary.IsCanary(_key);

    [Benchmark(Description = "peer: string.GetHashCode (randomised per process, unusable for stickiness)")]
    public int PeerStringHashCode() => _key.GetHashCode() % AssignmentHasher.BucketCount;
}
