using DomainPlatform.Deployment.Data;
using DomainPlatform.Deployment.Rollouts;
using DomainPlatform.Protos.Experimentation;

namespace DomainPlatform.Deployment.Tests;

public sealed class AnalysisFigureTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_figure_that_is_not_a_finite_number_becomes_null(double value) => Assert.Null(AnalysisFigure.Finite(value));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.5)]
    [InlineData(1e300)]
    public void A_finite_figure_is_kept(double value) => Assert.Equal(value, AnalysisFigure.Finite(value));

    [Fact]
    public void Figures_with_nan_serialise_to_json_with_nulls()
    {
        var figures = AnalysisFigure.From([
            new MetricComparison { Metric = "accuracy", Baseline = double.NaN, Candidate = 0.5, BaselineSamples = 0, CandidateSamples = 3, PValue = double.NaN, Note = "too few" },
            new MetricComparison { Metric = "error_rate", Baseline = 0.01, Candidate = 0.02, BaselineSamples = 40, CandidateSamples = 40, PValue = 0.2, Breached = true,
                LimitName = "maxErrorRateIncrease", Limit = 0.02 },
        ]);

        // An analysis that names no limit (an older experimentation) records none.
        Assert.Equal(
            """[{"metric":"accuracy","baseline":null,"candidate":0.5,"baselineSamples":0,"candidateSamples":3,"pValue":null,"breached":false,"note":"too few","limitName":null,"limit":null},"""
            + """{"metric":"error_rate","baseline":0.01,"candidate":0.02,"baselineSamples":40,"candidateSamples":40,"pValue":0.2,"breached":true,"note":"","limitName":"maxErrorRateIncrease","limit":0.02}]""",
            Json.Serialize(figures));
    }
}
