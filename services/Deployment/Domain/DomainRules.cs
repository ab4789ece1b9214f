using System.Text.RegularExpressions;

namespace DomainPlatform.Deployment.Domain;

/// <summary>Validation of domain configuration, kept pure so every rule is unit-tested.</summary>
public static partial class DomainRules
{
    public const int MaxTokensLimit = 32_768;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    public static Dictionary<string, string[]> Validate(string? id, string? name, int? maxTokens, IReadOnlyList<string>? keywords)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(id)) errors["id"] = ["An id is required, like \"0x5678-SQLAgent\"."];
        else if (!IdPattern().IsMatch(id)) errors["id"] = ["An id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."];
        if (string.IsNullOrWhiteSpace(name)) errors["name"] = ["A name is required."];
        if (maxTokens is < 1 or > MaxTokensLimit) errors["maxTokens"] = [$"maxTokens must be between 1 and {MaxTokensLimit}."];
        if (keywords?.Any(string.IsNullOrWhiteSpace) == true) errors["keywords"] = ["Keywords cannot be blank."];
        return errors;
    }
}
