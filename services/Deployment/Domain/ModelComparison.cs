namespace DomainPlatform.Deployment.Domain;

/// <summary>One metric of two versions side by side; absent figures stay null.</summary>
public sealed record MetricDelta(string Metric, double? A, double? B, double? Delta, double? RelativeChange);

public static class ModelComparison
{
    /// <summary>Every metric either version has, in name order, with B minus A and the change relative to A.</summary>
    public static IReadOnlyList<MetricDelta> Compare(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b) =>
        a.Keys.Union(b.Keys).Order(StringComparer.Ordinal).Select(metric =>
        {
            double? x = a.TryGetValue(metric, out var va) ? va : null;
            double? y = b.TryGetValue(metric, out var vb) ? vb : null;
            double? delta = x is not null && y is not null ? y - x : null;
            double? relative = delta is not null && x is not 0 ? delta / Math.Abs(x!.Value) : null;
            return new MetricDelta(metric, x, y, delta, relative);
        }).ToList();
}

public static class AliasRules
{
    public const string Stable = "stable";
    public const string Canary = "canary";
    public const string Champion = "champion";

    /// <summary>Stable and canary follow deployments; anyone may set champion or a custom alias.</summary>
    public static bool IsManagedByDeployments(string alias) => alias is Stable or Canary;

    public static bool IsValidName(string? alias) =>
        !string.IsNullOrEmpty(alias) && alias.Length <= 40 && alias.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_') && alias[0] is >= 'a' and <= 'z';
}
