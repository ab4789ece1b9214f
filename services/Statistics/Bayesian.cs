namespace DomainPlatform.Statistics;

/// <summary>A one-dimensional posterior for a variant's metric.</summary>
public interface IPosterior
{
    double Mean { get; }

    double StandardDeviation { get; }

    /// <summary>Lower end of the support (−∞ for a normal).</summary>
    double SupportLower { get; }

    /// <summary>Upper end of the support (+∞ for a normal).</summary>
    double SupportUpper { get; }

    double Density(double x);

    double Cdf(double x);

    Interval CredibleInterval(double level);
}

/// <summary>Beta(α, β) posterior of a rate.</summary>
public sealed record BetaPosterior : IPosterior
{
    public BetaPosterior(double alpha, double beta)
    {
        Distributions.RequirePositive(alpha, nameof(alpha));
        Distributions.RequirePositive(beta, nameof(beta));
        ContinuousSummary.RequireFinite(alpha, nameof(alpha));
        ContinuousSummary.RequireFinite(beta, nameof(beta));
        Alpha = alpha;
        Beta = beta;
    }

    public double Alpha { get; }

    public double Beta { get; }

    public double Mean => Alpha / (Alpha + Beta);

    public double StandardDeviation
    {
        get
        {
            var total = Alpha + Beta;
            return Math.Sqrt(Alpha * Beta / (total * total * (total + 1)));
        }
    }

    public double SupportLower => 0;

    public double SupportUpper => 1;

    public double Density(double x) => Distributions.BetaDensity(x, Alpha, Beta);

    public double Cdf(double x) => Distributions.BetaCdf(x, Alpha, Beta);

    public Interval CredibleInterval(double level)
    {
        ComparisonResult.RequireConfidence(level);
        return new Interval(Distributions.BetaQuantile((1 - level) / 2, Alpha, Beta), Distributions.BetaQuantile((1 + level) / 2, Alpha, Beta));
    }

    /// <summary>Posterior after observing the data under a Beta(priorAlpha, priorBeta) prior (default uniform).</summary>
    public static BetaPosterior FromData(BinarySummary data, double priorAlpha = 1, double priorBeta = 1)
    {
        Distributions.RequirePositive(priorAlpha, nameof(priorAlpha));
        Distributions.RequirePositive(priorBeta, nameof(priorBeta));
        return new BetaPosterior(priorAlpha + data.Successes, priorBeta + data.Failures);
    }
}

/// <summary>Normal posterior of a mean: N(x̄, s²/n), the flat-prior large-sample posterior.</summary>
public sealed record NormalPosterior : IPosterior
{
    public NormalPosterior(double mean, double standardDeviation)
    {
        ContinuousSummary.RequireFinite(mean, nameof(mean));
        ContinuousSummary.RequireFinite(standardDeviation, nameof(standardDeviation));
        Distributions.RequirePositive(standardDeviation, nameof(standardDeviation));
        Mean = mean;
        StandardDeviation = standardDeviation;
    }

    public double Mean { get; }

    public double StandardDeviation { get; }

    public double SupportLower => double.NegativeInfinity;

    public double SupportUpper => double.PositiveInfinity;

    public double Density(double x) => Distributions.NormalDensity((x - Mean) / StandardDeviation) / StandardDeviation;

    public double Cdf(double x) => Distributions.NormalCdf((x - Mean) / StandardDeviation);

    public Interval CredibleInterval(double level)
    {
        ComparisonResult.RequireConfidence(level);
        var half = Distributions.NormalQuantile((1 + level) / 2) * StandardDeviation;
        return new Interval(Mean - half, Mean + half);
    }

    /// <summary>Needs at least 2 observations with some spread.</summary>
    public static NormalPosterior FromData(ContinuousSummary data)
    {
        if (data.Count < 2 || !(data.Variance > 0))
        {
            throw new ArgumentException($"A normal posterior needs at least 2 observations with non-zero variance (got {data}).", nameof(data));
        }

        return new NormalPosterior(data.Mean, data.StandardError);
    }
}

/// <summary>Bayesian figures for one arm against the control and against all arms.</summary>
public sealed record BayesianArmResult(
    int Index,
    double PosteriorMean,
    Interval CredibleInterval,
    double ProbabilityToBeatControl,
    double ProbabilityToBeBest,
    double ExpectedLossVersusControl,
    double ExpectedLoss);

/// <summary>
/// Probabilities and expected losses between independent posteriors, by one-dimensional numerical integration
/// (composite 20-point Gauss-Legendre over breakpoints at each posterior's mean ± 0…14 sd; each CDF exact at the
/// breakpoints and carried between nodes by integrating the density), so no random draws:
/// P(arm i is best) = ∫ fᵢ Π_{j≠i} Fⱼ; E[(X − Y)⁺] = ∫ F_Y (1 − F_X); E[max] from ∫ (1 − Π Fⱼ).
/// For two normal posteriors the closed forms are used. Losses are in the metric's units.
/// </summary>
public static class BayesianComparison
{
    private static readonly double[] Offsets = [-14, -10, -8, -6, -5, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 14];

    /// <param name="arms">Posteriors, control first unless <paramref name="controlIndex"/> says otherwise.</param>
    /// <param name="direction">For lower-is-better metrics "beats" means lower and loss is the excess above the best.</param>
    public static IReadOnlyList<BayesianArmResult> Compare(IReadOnlyList<IPosterior> arms, int controlIndex = 0,
        MetricDirection direction = MetricDirection.HigherIsBetter, double credibleLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count < 2)
        {
            throw new ArgumentException("A comparison needs at least two arms.", nameof(arms));
        }

        if (controlIndex < 0 || controlIndex >= arms.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(controlIndex), controlIndex, "The control index must name one of the arms.");
        }

        var k = arms.Count;
        var higher = direction == MetricDirection.HigherIsBetter;
        var lower = arms.Min(a => Math.Max(a.SupportLower, a.Mean - 14 * a.StandardDeviation));
        var upper = arms.Max(a => Math.Min(a.SupportUpper, a.Mean + 14 * a.StandardDeviation));
        var breakpoints = new List<double> { lower, upper };
        foreach (var arm in arms)
        {
            foreach (var offset in Offsets)
            {
                breakpoints.Add(Math.Clamp(arm.Mean + offset * arm.StandardDeviation, lower, upper));
            }
        }

        var grid = Quadrature.Nodes(breakpoints);
        var (nodes, weights) = (grid.Nodes, grid.Weights);
        var cdf = new double[k][];
        var density = new double[k][];
        for (var a = 0; a < k; a++)
        {
            var arm = arms[a];
            cdf[a] = Quadrature.CumulativeAtNodes(grid, arm.Cdf, arm.Density);
            density[a] = new double[nodes.Length];
            for (var i = 0; i < nodes.Length; i++)
            {
                density[a][i] = arm.Density(nodes[i]);
            }
        }

        // For "lower is better" the best arm is the one below all others: swap F for 1 − F in the products.
        double Below(int arm, int node) => higher ? cdf[arm][node] : 1 - cdf[arm][node];

        var probabilityBest = new double[k];
        var productAll = new double[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            var product = 1.0;
            for (var a = 0; a < k; a++)
            {
                product *= Below(a, i);
            }

            productAll[i] = product;
            for (var a = 0; a < k; a++)
            {
                var others = 1.0;
                for (var b = 0; b < k; b++)
                {
                    if (b != a)
                    {
                        others *= Below(b, i);
                    }
                }

                probabilityBest[a] += weights[i] * density[a][i] * others;
            }
        }

        // E[best] = lower + ∫ (1 − Π F) for higher-is-better, upper − ∫ (1 − Π (1 − F)) for lower-is-better.
        var tailMass = 0.0;
        for (var i = 0; i < nodes.Length; i++)
        {
            tailMass += weights[i] * (1 - productAll[i]);
        }

        var expectedBest = higher ? lower + tailMass : upper - tailMass;
        var control = arms[controlIndex];
        var results = new BayesianArmResult[k];
        var bestTotal = probabilityBest.Sum();
        for (var a = 0; a < k; a++)
        {
            double beat, lossVersusControl;
            if (a == controlIndex)
            {
                beat = 0.5;
                lossVersusControl = 0;
            }
            else if (arms[a] is NormalPosterior normal && control is NormalPosterior normalControl)
            {
                (beat, lossVersusControl) = NormalPair(normalControl, normal, higher);
            }
            else
            {
                (beat, lossVersusControl) = Pair(cdf[controlIndex], density[a], cdf[a], weights, higher);
            }

            var loss = higher ? expectedBest - arms[a].Mean : arms[a].Mean - expectedBest;
            results[a] = new BayesianArmResult(a, arms[a].Mean, arms[a].CredibleInterval(credibleLevel),
                beat, Math.Clamp(probabilityBest[a] / bestTotal, 0, 1), Math.Max(lossVersusControl, 0), Math.Max(loss, 0));
        }

        return results;
    }

    /// <summary>Beta-Binomial comparison of rates, control first, with a Beta(1, 1) prior unless told otherwise.</summary>
    public static IReadOnlyList<BayesianArmResult> CompareRates(IReadOnlyList<BinarySummary> arms, double priorAlpha = 1, double priorBeta = 1,
        MetricDirection direction = MetricDirection.HigherIsBetter, double credibleLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(arms);
        return Compare(arms.Select(a => (IPosterior)BetaPosterior.FromData(a, priorAlpha, priorBeta)).ToArray(), 0, direction, credibleLevel);
    }

    /// <summary>Normal comparison of means, control first.</summary>
    public static IReadOnlyList<BayesianArmResult> CompareMeans(IReadOnlyList<ContinuousSummary> arms,
        MetricDirection direction = MetricDirection.HigherIsBetter, double credibleLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(arms);
        return Compare(arms.Select(a => (IPosterior)NormalPosterior.FromData(a)).ToArray(), 0, direction, credibleLevel);
    }

    /// <summary>
    /// Closed forms for D = treatment − control ~ N(Δ, V): P(D &gt; 0) = Φ(Δ/√V) and the loss of choosing the
    /// treatment E[(−D)⁺] = √V·φ(Δ/√V) − Δ·Φ(−Δ/√V) (signs swap for lower-is-better).
    /// </summary>
    public static (double ProbabilityToBeat, double ExpectedLoss) NormalPair(NormalPosterior control, NormalPosterior treatment, bool higherIsBetter = true)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(treatment);
        var delta = higherIsBetter ? treatment.Mean - control.Mean : control.Mean - treatment.Mean;
        var sd = Math.Sqrt(control.StandardDeviation * control.StandardDeviation + treatment.StandardDeviation * treatment.StandardDeviation);
        var z = delta / sd;
        return (Distributions.NormalCdf(z), sd * Distributions.NormalDensity(z) - delta * Distributions.NormalCdf(-z));
    }

    // P(treatment beats control) = ∫ f_t F_c (or ∫ f_t (1 − F_c)); loss E[(C − T)⁺] = ∫ F_t (1 − F_c) (or ∫ F_c (1 − F_t)).
    private static (double Beat, double Loss) Pair(double[] controlCdf, double[] treatmentDensity, double[] treatmentCdf, double[] weights, bool higher)
    {
        double beat = 0, loss = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            beat += weights[i] * treatmentDensity[i] * (higher ? controlCdf[i] : 1 - controlCdf[i]);
            loss += weights[i] * (higher ? treatmentCdf[i] * (1 - controlCdf[i]) : controlCdf[i] * (1 - treatmentCdf[i]));
        }

        return (Math.Clamp(beat, 0, 1), loss);
    }
}
