namespace DomainPlatform.Statistics;

public enum Sides
{
    TwoSided,
    OneSided,
}

/// <summary>Power and sample size for two equal groups.</summary>
public static class PowerAnalysis
{
    private const int MaximumSampleSize = 1_000_000_000;

    /// <summary>
    /// Exact power of the two-sample t-test (pooled, df = 2n − 2) for standardised effect d with n per group,
    /// from the noncentral t with δ = d·√(n/2). Two-sided power counts both rejection regions.
    /// </summary>
    public static double TTestPower(double effectSize, long samplesPerGroup, double alpha = 0.05, Sides sides = Sides.TwoSided)
    {
        RequireEffect(effectSize);
        RequireAlpha(alpha);
        if (samplesPerGroup < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(samplesPerGroup), samplesPerGroup, "A t-test needs at least 2 observations per group.");
        }

        var degreesOfFreedom = 2.0 * samplesPerGroup - 2;
        var noncentrality = Math.Abs(effectSize) * Math.Sqrt(samplesPerGroup / 2.0);
        if (sides == Sides.OneSided)
        {
            var critical = Distributions.StudentTQuantile(1 - alpha, degreesOfFreedom);
            return NoncentralT.Survival(critical, degreesOfFreedom, noncentrality);
        }

        var twoSidedCritical = Distributions.StudentTQuantile(1 - alpha / 2, degreesOfFreedom);
        return NoncentralT.Survival(twoSidedCritical, degreesOfFreedom, noncentrality)
               + NoncentralT.Cdf(-twoSidedCritical, degreesOfFreedom, noncentrality);
    }

    /// <summary>
    /// Smallest n per group whose exact t-test power reaches the target: d = 0.5, alpha 0.05 two-sided, power 0.8
    /// gives 64, as in Cohen's tables. Starts from the normal approximation and steps to the exact answer.
    /// </summary>
    public static long TTestSampleSizePerGroup(double effectSize, double alpha = 0.05, double power = 0.8, Sides sides = Sides.TwoSided)
    {
        RequireEffect(effectSize);
        RequireAlpha(alpha);
        RequirePower(power);
        var zAlpha = Distributions.NormalQuantile(1 - (sides == Sides.TwoSided ? alpha / 2 : alpha));
        var zBeta = Distributions.NormalQuantile(power);
        var approximate = 2 * Math.Pow((zAlpha + zBeta) / effectSize, 2);
        if (approximate > MaximumSampleSize)
        {
            throw new ArgumentOutOfRangeException(nameof(effectSize), effectSize, $"The effect is too small: more than {MaximumSampleSize} per group would be needed.");
        }

        var n = Math.Max(2L, (long)Math.Ceiling(approximate));
        while (TTestPower(effectSize, n, alpha, sides) < power)
        {
            n++;
        }

        while (n > 2 && TTestPower(effectSize, n - 1, alpha, sides) >= power)
        {
            n--;
        }

        return n;
    }

    /// <summary>
    /// Power of the pooled two-proportion z-test with n per group (the normal approximation R's power.prop.test
    /// uses; two-sided power also counts the far rejection region).
    /// </summary>
    public static double ProportionsPower(double controlRate, double treatmentRate, long samplesPerGroup, double alpha = 0.05, Sides sides = Sides.TwoSided)
    {
        RequireRates(controlRate, treatmentRate);
        RequireAlpha(alpha);
        if (samplesPerGroup < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(samplesPerGroup), samplesPerGroup, "At least one observation per group is needed.");
        }

        var (pooledError, unpooledError) = Errors(controlRate, treatmentRate);
        var difference = Math.Abs(treatmentRate - controlRate) * Math.Sqrt(samplesPerGroup);
        var critical = Distributions.NormalQuantile(1 - (sides == Sides.TwoSided ? alpha / 2 : alpha));
        var power = Distributions.NormalCdf((difference - critical * pooledError) / unpooledError);
        if (sides == Sides.TwoSided)
        {
            power += Distributions.NormalCdf((-difference - critical * pooledError) / unpooledError);
        }

        return power;
    }

    /// <summary>n per group = ((z_α·√(2 p̄ q̄) + z_β·√(p₁q₁ + p₂q₂)) / |p₁ − p₂|)², rounded up.</summary>
    public static long ProportionsSampleSizePerGroup(double controlRate, double treatmentRate, double alpha = 0.05, double power = 0.8, Sides sides = Sides.TwoSided)
    {
        var exact = ProportionsSampleSizeExact(controlRate, treatmentRate, alpha, power, sides);
        if (exact > MaximumSampleSize)
        {
            throw new ArgumentOutOfRangeException(nameof(treatmentRate), treatmentRate, $"The difference is too small: more than {MaximumSampleSize} per group would be needed.");
        }

        return Math.Max(1, (long)Math.Ceiling(exact - 1e-9));
    }

    /// <summary>The unrounded n per group of <see cref="ProportionsSampleSizePerGroup"/> (R's power.prop.test reports this).</summary>
    public static double ProportionsSampleSizeExact(double controlRate, double treatmentRate, double alpha = 0.05, double power = 0.8, Sides sides = Sides.TwoSided)
    {
        RequireRates(controlRate, treatmentRate);
        RequireAlpha(alpha);
        RequirePower(power);
        if (controlRate == treatmentRate)
        {
            throw new ArgumentException("The rates are equal: no sample size detects a zero difference.", nameof(treatmentRate));
        }

        var (pooledError, unpooledError) = Errors(controlRate, treatmentRate);
        var zAlpha = Distributions.NormalQuantile(1 - (sides == Sides.TwoSided ? alpha / 2 : alpha));
        var zBeta = Distributions.NormalQuantile(power);
        return Math.Pow((zAlpha * pooledError + zBeta * unpooledError) / Math.Abs(treatmentRate - controlRate), 2);
    }

    // √(2 p̄ q̄) and √(p₁q₁ + p₂q₂): the per-observation standard errors under the null and the alternative.
    private static (double Pooled, double Unpooled) Errors(double p1, double p2)
    {
        var mean = (p1 + p2) / 2;
        return (Math.Sqrt(2 * mean * (1 - mean)), Math.Sqrt(p1 * (1 - p1) + p2 * (1 - p2)));
    }

    private static void RequireEffect(double effectSize)
    {
        if (!double.IsFinite(effectSize) || effectSize == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(effectSize), effectSize, "The effect size must be a finite non-zero number.");
        }
    }

    private static void RequireRates(double controlRate, double treatmentRate)
    {
        if (!(controlRate > 0 && controlRate < 1) || !(treatmentRate > 0 && treatmentRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(controlRate), $"Rates must lie strictly between 0 and 1 (got {controlRate} and {treatmentRate}).");
        }
    }

    internal static void RequireAlpha(double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must lie strictly between 0 and 1.");
        }
    }

    internal static void RequirePower(double power)
    {
        if (!(power > 0 && power < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(power), power, "Power must lie strictly between 0 and 1.");
        }
    }
}
