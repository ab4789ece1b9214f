namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A list filter's value (such as <c>?status=</c>) matched against the values the resource knows, whatever their
/// spelling: case and <c>_</c> or <c>-</c> between words do not matter ("rolled_back" finds "RolledBack"). An unknown value
/// is the caller's mistake, answered with a 400 naming the accepted values, never an empty list.
/// </summary>
public static class FilterValues
{
    /// <summary>The known value <paramref name="value"/> means, or null with the refusal in <paramref name="error"/>.</summary>
    public static string? Canonical(string value, IEnumerable<string> known, out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        var all = known.ToList();
        var match = all.FirstOrDefault(k => string.Equals(Squeeze(k), Squeeze(value), StringComparison.OrdinalIgnoreCase));
        error = match is null ? $"'{value}' is not one of {string.Join(", ", all)}." : null;
        return match;
    }

    private static string Squeeze(string text) => text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
}
