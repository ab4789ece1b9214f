using MathNet.Numerics.Integration;

namespace DomainPlatform.Statistics;

/// <summary>Composite Gauss-Legendre quadrature over segments between sorted breakpoints.</summary>
internal static class Quadrature
{
    private const int Order = 20;
    private static readonly GaussLegendreRule UnitRule = new(-1, 1, Order);

    /// <summary>The nodes and weights for ∫ f over [breakpoints[0], breakpoints[^1]], one rule per segment.</summary>
    public static (double[] Nodes, double[] Weights) Nodes(IEnumerable<double> breakpoints)
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
                nodes[s * Order + i] = middle + half * UnitRule.Abscissas[i];
                weights[s * Order + i] = half * UnitRule.Weights[i];
            }
        }

        return (nodes, weights);
    }

    public static double Integrate(Func<double, double> function, IEnumerable<double> breakpoints)
    {
        var (nodes, weights) = Nodes(breakpoints);
        var sum = 0.0;
        for (var i = 0; i < nodes.Length; i++)
        {
            sum += weights[i] * function(nodes[i]);
        }

        return sum;
    }
}
