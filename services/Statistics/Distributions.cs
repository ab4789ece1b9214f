using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace DomainPlatform.Statistics;

/// <summary>
/// The distribution functions the tests need, on MathNet.Numerics, with quantiles polished by Newton steps on the
/// CDF so that they hold to about 1e-12 (MathNet's own inverses for t and chi-square are looser).
/// </summary>
public static class Distributions
{
    // Above this many degrees of freedom the t CDF is integrated over the chi-square (the incomplete beta loses digits).
    private const double LargeDegreesOfFreedom = 100;

    public static double NormalCdf(double x) => 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    /// <summary>P(Z &gt; x), accurate far into the upper tail.</summary>
    public static double NormalSurvival(double x) => 0.5 * SpecialFunctions.Erfc(x / Math.Sqrt(2));

    public static double NormalDensity(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    public static double NormalQuantile(double p)
    {
        RequireProbability(p, nameof(p));
        return -Math.Sqrt(2) * SpecialFunctions.ErfcInv(2 * p);
    }

    public static double StudentTCdf(double t, double degreesOfFreedom)
    {
        RequirePositive(degreesOfFreedom, nameof(degreesOfFreedom));
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return NormalCdf(t);
        }

        if (double.IsNaN(t))
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, "The statistic must be a number.");
        }

        if (double.IsInfinity(t))
        {
            return t > 0 ? 1 : 0;
        }

        if (degreesOfFreedom > LargeDegreesOfFreedom)
        {
            // The incomplete beta loses digits for huge ν, and a truncated large-ν expansion loses them in the tails.
            var lowerTail = t == 0 ? 0.5 : LargeDegreesLowerTail(Math.Abs(t), degreesOfFreedom);
            return t > 0 ? 1 - lowerTail : lowerTail;
        }

        // Through the regularised incomplete beta, symmetric, so both tails keep full relative accuracy.
        var tail = 0.5 * SpecialFunctions.BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));
        return t > 0 ? 1 - tail : tail;
    }

    /// <summary>
    /// P(T ≤ −x) for x &gt; 0 and ν above <see cref="LargeDegreesOfFreedom"/>: T = Z / U with U = √(χ²_ν/ν), so the tail is
    /// E[Φ̄(x·U)], integrated over w = U − 1. U's log-density is written with Stirling's series for lgamma(ν/2) so that no
    /// two large terms cancel, and log(1+w) − w is summed as a series near 0: the tail keeps ~1e-14 relative accuracy
    /// down to 1e-300, where the one-term expansion was off by 6e-4 at t = −12.
    /// </summary>
    private static double LargeDegreesLowerTail(double x, double degreesOfFreedom)
    {
        var a = degreesOfFreedom / 2;
        var logConstant = Math.Log(2) + 0.5 * Math.Log(a) - 0.5 * Math.Log(2 * Math.PI) - LogGammaStirlingRemainder(a);
        // The integrand is close to a Gaussian in w with this centre and width; ±14 widths leave out below 1e-40 of it.
        var centre = -x * x / (4 * a + x * x);
        var width = 1 / Math.Sqrt(4 * a + x * x);
        const int Widths = 14;
        var breakpoints = Enumerable.Range(-Widths, 2 * Widths + 1).Select(k => centre + k * width).Where(w => w > -1);
        return Quadrature.Integrate(
            w => Math.Exp(logConstant + 2 * a * Log1pMinusX(w) - a * w * w - Math.Log(1 + w)) * NormalSurvival(x * (1 + w)),
            breakpoints.Prepend(Math.Max(-1, centre - Widths * width)));
    }

    /// <summary>lgamma(a) − [(a − ½)·log a − a + ½·log 2π], for a ≥ 10⁴ (four terms of Stirling's series are exact there).</summary>
    private static double LogGammaStirlingRemainder(double a)
    {
        var inverse = 1 / a;
        var square = inverse * inverse;
        return inverse * (1.0 / 12 - square * (1.0 / 360 - square * (1.0 / 1260 - square / 1680)));
    }

    /// <summary>log(1 + w) − w without the cancellation near w = 0.</summary>
    private static double Log1pMinusX(double w)
    {
        if (Math.Abs(w) > 0.1)
        {
            return Math.Log(1 + w) - w;
        }

        // −w²/2 + w³/3 − w⁴/4 + …: 0.1^k/k is below 1e-17 of w²/2 by k = 18.
        var sum = 0.0;
        var power = w * w;
        for (var k = 2; k <= 20; k++)
        {
            sum += (k % 2 == 0 ? -power : power) / k;
            power *= w;
        }

        return sum;
    }

    /// <summary>P(T &gt; t).</summary>
    public static double StudentTSurvival(double t, double degreesOfFreedom) => StudentTCdf(-t, degreesOfFreedom);

    public static double StudentTDensity(double t, double degreesOfFreedom)
    {
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return NormalDensity(t);
        }

        return StudentT.PDF(0, 1, degreesOfFreedom, t);
    }

    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        RequireProbability(p, nameof(p));
        RequirePositive(degreesOfFreedom, nameof(degreesOfFreedom));
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return NormalQuantile(p);
        }

        if (p == 0.5)
        {
            return 0;
        }

        // Solve in the lower tail for accuracy and reflect: the t distribution is symmetric. The t quantile lies
        // beyond the normal one, so widen from there until the root is bracketed, then safeguarded Newton.
        var lower = Math.Min(p, 1 - p);
        var high = 0.0;
        var low = Math.Min(NormalQuantile(lower), -1);
        while (StudentTCdf(low, degreesOfFreedom) > lower)
        {
            high = low;
            low *= 2;
        }

        // Cornish-Fisher start: t ≈ z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²), close enough for Newton to finish in a few steps.
        var z = NormalQuantile(lower);
        var nu = degreesOfFreedom;
        var start = z + (z * z * z + z) / (4 * nu) + (5 * Math.Pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * nu * nu);
        var root = SolveBracketed(x => StudentTCdf(x, degreesOfFreedom) - lower, x => StudentTDensity(x, degreesOfFreedom), low, high, start);
        return p < 0.5 ? root : -root;
    }

    public static double ChiSquareCdf(double x, double degreesOfFreedom)
    {
        RequirePositive(degreesOfFreedom, nameof(degreesOfFreedom));
        return x <= 0 ? 0 : SpecialFunctions.GammaLowerRegularized(degreesOfFreedom / 2, x / 2);
    }

    /// <summary>P(X &gt; x): the p-value of a chi-square statistic.</summary>
    public static double ChiSquareSurvival(double x, double degreesOfFreedom)
    {
        RequirePositive(degreesOfFreedom, nameof(degreesOfFreedom));
        return x <= 0 ? 1 : SpecialFunctions.GammaUpperRegularized(degreesOfFreedom / 2, x / 2);
    }

    public static double ChiSquareQuantile(double p, double degreesOfFreedom)
    {
        RequireProbability(p, nameof(p));
        RequirePositive(degreesOfFreedom, nameof(degreesOfFreedom));
        var start = ChiSquared.InvCDF(degreesOfFreedom, p);
        return p <= 0.5
            ? Polish(start, x => ChiSquareCdf(x, degreesOfFreedom) - p, x => ChiSquared.PDF(degreesOfFreedom, x), lowerBound: 0)
            : Polish(start, x => (1 - p) - ChiSquareSurvival(x, degreesOfFreedom), x => ChiSquared.PDF(degreesOfFreedom, x), lowerBound: 0);
    }

    /// <summary>CDF of Beta(a, b).</summary>
    public static double BetaCdf(double x, double a, double b)
    {
        if (x <= 0)
        {
            return 0;
        }

        return x >= 1 ? 1 : SpecialFunctions.BetaRegularized(a, b, x);
    }

    public static double BetaDensity(double x, double a, double b)
    {
        if (x <= 0 || x >= 1)
        {
            return 0;
        }

        return Math.Exp((a - 1) * Math.Log(x) + (b - 1) * Math.Log(1 - x) - SpecialFunctions.BetaLn(a, b));
    }

    public static double BetaQuantile(double p, double a, double b)
    {
        RequireProbability(p, nameof(p));
        RequirePositive(a, nameof(a));
        RequirePositive(b, nameof(b));

        // Start from the normal approximation (excellent for the large posteriors of real experiments), then
        // safeguarded Newton inside (0, 1): a handful of incomplete beta evaluations.
        var total = a + b;
        var mean = a / total;
        var sd = Math.Sqrt(a * b / (total * total * (total + 1)));
        var start = mean + NormalQuantile(p) * sd;
        return SolveBracketed(x => BetaCdf(x, a, b) - p, x => BetaDensity(x, a, b), 0, 1, start);
    }

    internal static void RequireProbability(double p, string name)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(name, p, "A probability here must lie strictly between 0 and 1.");
        }
    }

    internal static void RequirePositive(double value, string name)
    {
        if (!(value > 0))
        {
            throw new ArgumentOutOfRangeException(name, value, "The value must be positive.");
        }
    }

    // Newton steps kept inside a shrinking bracket [low, high] with f(low) < 0 < f(high); bisection when Newton leaves it.
    private static double SolveBracketed(Func<double, double> residual, Func<double, double> derivative, double low, double high, double start)
    {
        var x = start > low && start < high ? start : (low + high) / 2;
        for (var step = 0; step < 200; step++)
        {
            var value = residual(x);
            if (value == 0)
            {
                return x;
            }

            if (value < 0)
            {
                low = x;
            }
            else
            {
                high = x;
            }

            var slope = derivative(x);
            var next = slope > 0 ? x - value / slope : double.NaN;
            if (!(next > low && next < high))
            {
                next = (low + high) / 2;
            }

            if (Math.Abs(next - x) <= 1e-15 * Math.Max(1, Math.Abs(x)) || high - low <= 1e-15 * Math.Max(1, Math.Abs(x)))
            {
                return next;
            }

            x = next;
        }

        return x;
    }

    // A few guarded Newton steps from a good start: each step roughly doubles the correct digits.
    private static double Polish(double start, Func<double, double> residual, Func<double, double> derivative,
        double lowerBound = double.NegativeInfinity, double upperBound = double.PositiveInfinity)
    {
        var x = start;
        for (var step = 0; step < 8; step++)
        {
            var slope = derivative(x);
            if (!(slope > 0) || !double.IsFinite(slope))
            {
                break;
            }

            var next = x - residual(x) / slope;
            if (!double.IsFinite(next))
            {
                break;
            }

            // Never jump past a bound: go at most half way to it.
            if (next <= lowerBound)
            {
                next = (x + lowerBound) / 2;
            }
            else if (next >= upperBound)
            {
                next = (x + upperBound) / 2;
            }

            if (Math.Abs(next - x) <= 1e-15 * Math.Max(1, Math.Abs(x)))
            {
                return next;
            }

            x = next;
        }

        return x;
    }
}
