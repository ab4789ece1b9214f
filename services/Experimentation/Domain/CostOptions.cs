namespace DomainPlatform.Experimentation.Domain;

/// <summary>
/// Token prices for cost per request (<c>Costs:</c>): a price for a domain's model version beats one for the whole
/// domain, which beats the defaults. Prices are per 1000 tokens, finite and at least 0; the defaults are 0 (a local
/// model has no list price), so costs read 0 until prices are configured.
/// </summary>
public sealed class CostOptions
{
    public string Currency { get; set; } = "USD";
    public double PromptPricePer1kTokens { get; set; }
    public double CompletionPricePer1kTokens { get; set; }
    public List<ModelPrice> Prices { get; set; } = [];

    public TokenPrice PriceFor(string domain, string modelVersion)
    {
        var chosen = Prices.FirstOrDefault(p => p.Domain == domain && p.ModelVersion == modelVersion)
            ?? Prices.FirstOrDefault(p => p.Domain == domain && string.IsNullOrEmpty(p.ModelVersion));
        return chosen is null
            ? new TokenPrice(PromptPricePer1kTokens, CompletionPricePer1kTokens)
            : new TokenPrice(chosen.PromptPricePer1kTokens, chosen.CompletionPricePer1kTokens);
    }

    /// <summary>What is wrong with the settings, or null.</summary>
    public string? Problem()
    {
        static bool Price(double p) => double.IsFinite(p) && p >= 0;
        if (string.IsNullOrWhiteSpace(Currency)) return "Costs:Currency must not be empty.";
        if (!Price(PromptPricePer1kTokens) || !Price(CompletionPricePer1kTokens))
            return "Costs:PromptPricePer1kTokens and Costs:CompletionPricePer1kTokens must be finite and at least 0.";
        for (var i = 0; i < Prices.Count; i++)
        {
            var p = Prices[i];
            if (string.IsNullOrWhiteSpace(p.Domain)) return $"Costs:Prices:{i}:Domain must name a domain.";
            if (!Price(p.PromptPricePer1kTokens) || !Price(p.CompletionPricePer1kTokens))
                return $"Costs:Prices:{i}: prices must be finite and at least 0.";
            if (Prices.Take(i).Any(q => q.Domain == p.Domain && (q.ModelVersion ?? "") == (p.ModelVersion ?? "")))
                return $"Costs:Prices:{i}: a second price for domain '{p.Domain}' version '{p.ModelVersion}'.";
        }
        return null;
    }
}

public sealed class ModelPrice
{
    public string Domain { get; set; } = "";
    /// <summary>Empty: the price of every version of the domain without its own.</summary>
    public string? ModelVersion { get; set; }
    public double PromptPricePer1kTokens { get; set; }
    public double CompletionPricePer1kTokens { get; set; }
}
