using System.Diagnostics.CodeAnalysis;

namespace DomainPlatform.Deployment.Domain;

public enum VersionBump { Major, Minor, Patch }

/// <summary>A model version as MAJOR.MINOR.PATCH (semver 2.0 core, no pre-release or build parts), ordered numerically.</summary>
public readonly record struct SemanticVersion(int Major, int Minor, int Patch) : IComparable<SemanticVersion>
{
    public static SemanticVersion Initial { get; } = new(1, 0, 0);

    public static SemanticVersion Parse(string? text) =>
        TryParse(text, out var version)
            ? version
            : throw new FormatException($"'{text}' is not a semantic version: expected MAJOR.MINOR.PATCH, like 1.4.0 (digits only, no leading zeros).");

    public static bool TryParse([NotNullWhen(true)] string? text, out SemanticVersion version)
    {
        version = default;
        if (string.IsNullOrEmpty(text) || text.Length > 32) return false;
        var parts = text.Split('.');
        if (parts.Length != 3) return false;
        Span<int> numbers = stackalloc int[3];
        for (var i = 0; i < 3; i++)
        {
            if (!TryParsePart(parts[i], out numbers[i])) return false;
        }
        version = new SemanticVersion(numbers[0], numbers[1], numbers[2]);
        return true;
    }

    // Semver forbids leading zeros and signs; int.TryParse alone would accept "+1", " 1" and "01".
    private static bool TryParsePart(string part, out int value)
    {
        value = 0;
        if (part.Length == 0 || (part.Length > 1 && part[0] == '0')) return false;
        foreach (var c in part)
        {
            if (c is < '0' or > '9') return false;
        }
        return int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    public static VersionBump ParseBump(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "minor" => VersionBump.Minor,
        "major" => VersionBump.Major,
        "patch" => VersionBump.Patch,
        _ => throw new FormatException($"'{text}' is not a bump: use major, minor or patch."),
    };

    /// <summary>The next version: a major bump resets minor and patch, a minor bump resets patch.</summary>
    public SemanticVersion Bump(VersionBump bump) => bump switch
    {
        VersionBump.Major => new SemanticVersion(checked(Major + 1), 0, 0),
        VersionBump.Minor => new SemanticVersion(Major, checked(Minor + 1), 0),
        VersionBump.Patch => new SemanticVersion(Major, Minor, checked(Patch + 1)),
        _ => throw new ArgumentOutOfRangeException(nameof(bump), bump, "Unknown bump."),
    };

    public int CompareTo(SemanticVersion other)
    {
        var major = Major.CompareTo(other.Major);
        if (major != 0) return major;
        var minor = Minor.CompareTo(other.Minor);
        return minor != 0 ? minor : Patch.CompareTo(other.Patch);
    }

    public static bool operator <(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) < 0;
    public static bool operator >(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) > 0;
    public static bool operator <=(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) <= 0;
    public static bool operator >=(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
