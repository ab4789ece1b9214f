namespace DomainPlatform.Statistics;

public enum CorrectionMethod
{
    None,

    /// <summary>Holm's step-down: controls the family-wise error rate under any dependence.</summary>
    Holm,

    /// <summary>Benjamini-Hochberg step-up: controls the false discovery rate (independent or positively dependent tests).</summary>
    BenjaminiHochberg,
}

/// <summary>Adjusted p-values, as R's <c>p.adjust</c> computes them; reject where the adjusted p-value is below alpha.</summary>
public static class MultipleComparisons
{
    public static double[] Adjust(IReadOnlyList<double> pValues, CorrectionMethod method) => method switch
    {
        CorrectionMethod.None => Validate(pValues).ToArray(),
        CorrectionMethod.Holm => Holm(pValues),
        CorrectionMethod.BenjaminiHochberg => BenjaminiHochberg(pValues),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown correction method."),
    };

    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        var p = Validate(pValues);
        var m = p.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => p[i]).ToArray();
        var adjusted = new double[m];
        var runningMax = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            var index = order[rank];
            runningMax = Math.Max(runningMax, Math.Min(1, (m - rank) * p[index]));
            adjusted[index] = runningMax;
        }

        return adjusted;
    }

    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        var p = Validate(pValues);
        var m = p.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => p[i]).ToArray();
        var adjusted = new double[m];
        var runningMin = 1.0;
        for (var rank = m - 1; rank >= 0; rank--)
        {
            var index = order[rank];
            runningMin = Math.Min(runningMin, (double)m / (rank + 1) * p[index]);
            adjusted[index] = runningMin;
        }

        return adjusted;
    }

    private static IReadOnlyList<double> Validate(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        for (var i = 0; i < pValues.Count; i++)
        {
            if (!(pValues[i] >= 0 && pValues[i] <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(pValues), pValues[i], $"p-value #{i} is {pValues[i]}; p-values lie within [0, 1].");
            }
        }

        return pValues;
    }
}
