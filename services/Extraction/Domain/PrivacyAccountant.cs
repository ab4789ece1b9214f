namespace DomainPlatform.Extraction.Domain;

/// <summary>Whether a new charge fits a domain's privacy budget, and what is left either way.</summary>
public sealed record PrivacyDecision(bool Allowed, double BudgetEpsilon, double SpentEpsilon, double RequestedEpsilon, double RemainingEpsilon, string? Reason);

/// <summary>
/// Differential-privacy accounting by basic sequential composition: releasing mechanisms with ε1..εk on the
/// same data costs at most Σεi, so a domain's charges are summed and a new one is refused when the sum would
/// exceed the budget. Deliberately the simple, always-valid bound; tighter (advanced/RDP) composition can replace it here.
/// </summary>
public static class PrivacyAccountant
{
    /// <summary>Absorbs floating-point noise in sums such as 0.1 + 0.2 against a budget of 0.3.</summary>
    private const double Tolerance = 1e-9;

    public static double Compose(IEnumerable<double> charges)
    {
        ArgumentNullException.ThrowIfNull(charges);
        var total = 0.0;
        foreach (var epsilon in charges)
        {
            RequireValidEpsilon(epsilon, nameof(charges));
            total += epsilon;
        }
        return total;
    }

    public static PrivacyDecision Decide(double budgetEpsilon, IEnumerable<double> spentCharges, double requestedEpsilon)
    {
        RequireValidEpsilon(budgetEpsilon, nameof(budgetEpsilon));
        RequireValidEpsilon(requestedEpsilon, nameof(requestedEpsilon));
        var spent = Compose(spentCharges);
        var remaining = budgetEpsilon - spent;
        if (spent + requestedEpsilon > budgetEpsilon + Tolerance)
        {
            return new PrivacyDecision(false, budgetEpsilon, spent, requestedEpsilon, Math.Max(0, remaining),
                $"Privacy budget exceeded: ε {requestedEpsilon:0.###} requested, {spent:0.###} of {budgetEpsilon:0.###} already spent, {Math.Max(0, remaining):0.###} left.");
        }
        return new PrivacyDecision(true, budgetEpsilon, spent, requestedEpsilon, Math.Max(0, remaining - requestedEpsilon), null);
    }

    public static bool IsValidEpsilon(double epsilon) => double.IsFinite(epsilon) && epsilon > 0;

    /// <summary>The smallest ε a budget or a dataset may be given: below it no useful statistic survives the noise.</summary>
    public const double MinSettableEpsilon = 0.001;

    /// <summary>The largest: ε 100 already promises next to no privacy (e^100); a bigger budget would be an unlimited one.</summary>
    public const double MaxSettableEpsilon = 100;

    public const string SettableRange = "a number from 0.001 to 100";

    /// <summary>Whether a budget or a dataset's charge may be set to <paramref name="epsilon"/> (see the documented range).</summary>
    public static bool IsSettableEpsilon(double epsilon) => epsilon is >= MinSettableEpsilon and <= MaxSettableEpsilon;

    private static void RequireValidEpsilon(double epsilon, string name)
    {
        if (!IsValidEpsilon(epsilon)) throw new ArgumentOutOfRangeException(name, epsilon, "ε must be a finite number greater than 0.");
    }
}
