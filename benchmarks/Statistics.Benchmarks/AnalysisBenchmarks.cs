using BenchmarkDotNet.Attributes;

namespace DomainPlatform.Statistics.Benchmarks;

/// <summary>
/// Analysing an experiment with 10 million observations (5 million per arm) costs the same as with 100: every
/// method works from sufficient statistics. The peer is one pass over the raw values to build those statistics.
/// </summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private const long PerArm = 5_000_000;

    private readonly ContinuousSummary _controlLatency = ContinuousSummary.FromMoments(PerArm, 412.5, 120.0 * 120.0);
    private readonly ContinuousSummary _treatmentLatency = ContinuousSummary.FromMoments(PerArm, 411.9, 118.0 * 118.0);
    private readonly BinarySummary _controlRate = new(PerArm, 500_000);
    private readonly BinarySummary _treatmentRate = new(PerArm, 501_200);
    private readonly VariantData[] _variants =
    [
        new("control", MetricSummary.Rate(PerArm, 500_000)),
        new("treatment", MetricSummary.Rate(PerArm, 501_200)),
    ];

    private readonly ExperimentDesign _design = new() { MinimumDetectableEffect = 0.01 };
    private double[] _rawValues = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _rawValues = new double[1_000_000];
        for (var i = 0; i < _rawValues.Length; i++)
        {
            _rawValues[i] = 400 + 100 * random.NextDouble();
        }
    }

    [Benchmark(Description = "Welch t-test, 10M obs")]
    public ComparisonResult Welch() => WelchTest.Compare(_controlLatency, _treatmentLatency);

    [Benchmark(Description = "two-proportion z-test, 10M obs")]
    public ComparisonResult Proportions() => ProportionTest.Compare(_controlRate, _treatmentRate);

    [Benchmark(Description = "mSPRT look, 10M obs")]
    public SequentialLook Sequential() => SequentialTest.Update(SequentialState.Initial, _controlRate, _treatmentRate, 1e-6);

    [Benchmark(Description = "Beta-Binomial P(beat)/P(best)/loss, 10M obs")]
    public IReadOnlyList<BayesianArmResult> BetaBinomial() => BayesianComparison.CompareRates([_controlRate, _treatmentRate]);

    [Benchmark(Description = "Normal model P(beat)/P(best)/loss, 10M obs")]
    public IReadOnlyList<BayesianArmResult> NormalModel() => BayesianComparison.CompareMeans([_controlLatency, _treatmentLatency]);

    [Benchmark(Description = "ExperimentDecision (frequentist + power), 10M obs")]
    public ExperimentDecisionResult Decision() => ExperimentDecision.Decide(_design, _variants);

    [Benchmark(Description = "sample size, d = 0.5")]
    public long SampleSize() => PowerAnalysis.TTestSampleSizePerGroup(0.5);

    [Benchmark(Description = "peer: summarising 1M raw values")]
    public ContinuousSummary SummariseRaw() => ContinuousSummary.FromValues(_rawValues);
}
