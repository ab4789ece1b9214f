using DomainPlatform.Extraction.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Extraction;

/// <summary>The "Extraction" configuration section.</summary>
public sealed class ExtractionOptions
{
    public const string Section = "Extraction";

    /// <summary>Where dataset JSONL files are written; the launcher sets it under .platform/data/extraction.</summary>
    public string DataDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "domainplatform", "datasets");

    /// <summary>Domain keyword profiles known at start (domain → keywords); profiles posted to the API override them.</summary>
    public Dictionary<string, string[]> Profiles { get; set; } = [];

    /// <summary>The ε budget of a domain that has none set explicitly.</summary>
    public double DefaultEpsilonBudget { get; set; } = 10;

    /// <summary>The ε a dataset build is charged when the request names none.</summary>
    public double DefaultDatasetEpsilon { get; set; } = 1;

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) yield return "Extraction:DataDirectory must name a folder.";
        if (!PrivacyAccountant.IsSettableEpsilon(DefaultEpsilonBudget)) yield return $"Extraction:DefaultEpsilonBudget is {PrivacyAccountant.SettableRange}.";
        if (!PrivacyAccountant.IsSettableEpsilon(DefaultDatasetEpsilon)) yield return $"Extraction:DefaultDatasetEpsilon is {PrivacyAccountant.SettableRange}.";
        foreach (var (domain, keywords) in Profiles)
        {
            if (!SourceKinds.IsValidDomain(domain)) yield return $"Extraction:Profiles:{domain}: {SourceKinds.DomainRule}";
            if (keywords.Length == 0 || keywords.Any(string.IsNullOrWhiteSpace)) yield return $"Extraction:Profiles:{domain} needs non-blank keywords.";
        }
    }
}

internal sealed class ExtractionOptionsValidator : IValidateOptions<ExtractionOptions>
{
    public ValidateOptionsResult Validate(string? name, ExtractionOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
