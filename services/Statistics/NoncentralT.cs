using MathNet.Numerics.Distributions;

namespace DomainPlatform.Statistics;

/// <summary>The noncentral t distribution, needed for exact power of t-tests.</summary>
public static class NoncentralT
{
    /// <summary>
    /// P(T ≤ t) for T = (Z + δ) / √(V/ν), computed as E[Φ(t·S − δ)] over S = √(V/ν), V ~ χ²(ν), by composite
    /// Gauss-Legendre quadrature with breakpoints where the integrand changes (around S = 1 and S = δ/t).
    /// </summary>
    public static double Cdf(double t, double degreesOfFreedom, double noncentrality)
    {
        Distributions.RequirePositive(degreesOfFreedom, nameof(degreesOfFreedom));
        ContinuousSummary.RequireFinite(noncentrality, nameof(noncentrality));
        if (double.IsNaN(t))
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, "The statistic must be a number.");
        }

        if (double.IsInfinity(t))
        {
            return t > 0 ? 1 : 0;
        }

        if (noncentrality == 0)
        {
            return Distributions.StudentTCdf(t, degreesOfFreedom);
        }

        if (double.IsPositiveInfinity(degreesOfFreedom) || degreesOfFreedom > 1e7)
        {
            return Distributions.NormalCdf(t - noncentrality);
        }

        var nu = degreesOfFreedom;
        var width = 1 / Math.Sqrt(2 * nu);
        var upper = 1 + 16 * width + 2;
        var breakpoints = new List<double> { 0, upper };
        foreach (var k in new[] { -12, -8, -6, -4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4, 6, 8, 12 })
        {
            breakpoints.Add(Math.Clamp(1 + k * width, 0, upper));
        }

        if (t != 0)
        {
            var crossing = noncentrality / t;
            var scale = 1 / Math.Abs(t);
            foreach (var k in new[] { -8, -4, -2, -1, 0, 1, 2, 4, 8 })
            {
                breakpoints.Add(Math.Clamp(crossing + k * scale, 0, upper));
            }
        }

        // Density of S: 2νs · f_χ²(νs²), evaluated through its logarithm to stay finite for large ν.
        var logTwoNu = Math.Log(2 * nu);
        return Math.Clamp(Quadrature.Integrate(s =>
        {
            if (s <= 0)
            {
                return 0;
            }

            var density = Math.Exp(logTwoNu + Math.Log(s) + ChiSquared.PDFLn(nu, nu * s * s));
            return density * Distributions.NormalCdf(t * s - noncentrality);
        }, breakpoints), 0, 1);
    }

    /// <summary>P(T &gt; t).</summary>
    public static double Survival(double t, double degreesOfFreedom, double noncentrality) =>
        Cdf(-t, degreesOfFreedom, -noncentrality);
}
