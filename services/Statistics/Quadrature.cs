using MathNet.Numerics.Integration;

namespace DomainPlatform.Statistics;

/// <summary>Composite Gauss-Legendre quadrature over segments between sorted breakpoints.</summary>
internal static class Quadrature
{
    public const int Order = 20;

    private static readonly (double Abscissa, double Weight)[] UnitRule = BuildUnitRule();

    // 4-point rule for the short pieces between neighbouring nodes.
    private static readonly double[] ShortAbscissas = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
    private static readonly double[] ShortWeights = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

    /// <summary>Nodes (ascending) and weights for ∫ f over [first, last breakpoint], <see cref="Order"/> nodes per segment.</summary>
    public static Grid Nodes(IEnumerable<double> breakpoints)
    {
        var points = breakpoints.Where(double.IsFinite).Distinct().Order().ToArray();
        var segments = Math.Max(points.Length - 1, 0);
        var nodes = new double[segments * Order];
        var weights = new double[segments * Order];
        for (var s = 0; s < segments; s++)
        {
            var half = (points[s + 1] - points[s]) / 2;
            var middle = (points[s + 1] + points[s]) / 2;
            for (var i = 0; i < Order; i++)
            {
                nodes[s * Order + i] = middle + half * UnitRule[i].Abscissa;
                weights[s * Order + i] = half * UnitRule[i].Weight;
            }
        }

        return new Grid(nodes, weights, points);
    }

    public static double Integrate(Func<double, double> function, IEnumerable<double> breakpoints)
    {
        var grid = Nodes(breakpoints);
        var sum = 0.0;
        for (var i = 0; i < grid.Nodes.Length; i++)
        {
            sum += grid.Weights[i] * function(grid.Nodes[i]);
        }

        return sum;
    }

    /// <summary>
    /// A CDF at every node of the grid from one exact CDF value per segment plus the integral of the density between
    /// neighbouring nodes: far cheaper than an exact CDF per node when that costs an incomplete beta function.
    /// </summary>
    public static double[] CumulativeAtNodes(Grid grid, Func<double, double> cdf, Func<double, double> density)
    {
        var values = new double[grid.Nodes.Length];
        for (var s = 0; s < grid.Breakpoints.Length - 1; s++)
        {
            var left = grid.Breakpoints[s];
            var cumulative = cdf(left);
            for (var i = s * Order; i < (s + 1) * Order; i++)
            {
                var right = grid.Nodes[i];
                var half = (right - left) / 2;
                var middle = (right + left) / 2;
                for (var k = 0; k < ShortAbscissas.Length; k++)
                {
                    cumulative += half * ShortWeights[k] * density(middle + half * ShortAbscissas[k]);
                }

                values[i] = Math.Clamp(cumulative, 0, 1);
                left = right;
            }
        }

        return values;
    }

    private static (double, double)[] BuildUnitRule()
    {
        var rule = new GaussLegendreRule(-1, 1, Order);
        return rule.Abscissas.Zip(rule.Weights).OrderBy(p => p.First).ToArray();
    }

    public sealed record Grid(double[] Nodes, double[] Weights, double[] Breakpoints);
}
