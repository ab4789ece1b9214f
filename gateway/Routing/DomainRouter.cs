namespace DomainPlatform.Gateway.Routing;

/// <summary>How "auto" arrived at a domain: its blended score and the parts of it.</summary>
public sealed record DomainScore(string Domain, double KeywordScore, double LearnedWeight, double Score);

public abstract record DomainChoice
{
    public sealed record Chosen(RoutableDomain Domain, DomainScore? Score) : DomainChoice;
    public sealed record Unknown(string Detail) : DomainChoice;
}

/// <summary>
/// Picks the domain for the OpenAI <c>model</c> field: a domain id or alias names it directly; "auto"
/// scores every domain from its keywords in the prompt and the learned routing weights, blended
/// <see cref="KeywordShare"/> / <see cref="LearnedShare"/>.
/// </summary>
public static class DomainRouter
{
    public const string Auto = "auto";
    public const double KeywordShare = 0.6;
    public const double LearnedShare = 0.4;

    /// <summary>
    /// The <c>model</c> values <see cref="Choose"/> takes to a serving domain: the ids and aliases of the domains that can take
    /// traffic, and "auto" while one can. This is what /v1/models lists, so the list and the routing are one fact.
    /// </summary>
    public static IReadOnlyList<(string Model, RoutableDomain? Domain)> Accepted(DomainRouteTable table)
    {
        var named = table.Names.Where(n => n.Domain.Unservable is null).Select(n => (n.Name, (RoutableDomain?)n.Domain)).ToList();
        if (named.Count > 0) named.Add((Auto, null));
        return named;
    }

    public static DomainChoice Choose(string model, string prompt, DomainRouteTable table, IReadOnlyDictionary<string, double> learnedWeights)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!string.Equals(model.Trim(), Auto, StringComparison.OrdinalIgnoreCase))
        {
            return table.Find(model.Trim()) is { } named
                ? new DomainChoice.Chosen(named, null)
                : new DomainChoice.Unknown($"'{model}' is neither a domain, an alias of one, nor \"{Auto}\".");
        }

        var candidates = table.Domains.Where(d => d.Unservable is null).ToList();
        if (candidates.Count == 0) return new DomainChoice.Unknown("No domain is serving traffic, so \"auto\" has nothing to choose from.");

        var scores = Score(prompt, candidates, learnedWeights);
        var best = scores.MaxBy(s => s.Score)!;
        if (best.Score <= 0 && candidates.Count > 1)
        {
            return new DomainChoice.Unknown("\"auto\" found no keyword of any domain in the prompt and has no learned weights: name a domain in 'model'.");
        }
        return new DomainChoice.Chosen(candidates.First(d => d.Id == best.Domain), best);
    }

    /// <summary>Scores in the candidates' order; ties keep the first (domains are ordered by id).</summary>
    public static IReadOnlyList<DomainScore> Score(string prompt, IReadOnlyList<RoutableDomain> candidates, IReadOnlyDictionary<string, double> learnedWeights)
    {
        var text = Normalize(prompt);
        var hits = candidates.Select(d => (double)d.Route.Keywords.Select(Normalize).Where(k => k.Trim().Length > 0).Distinct().Count(k => text.Contains(k, StringComparison.Ordinal))).ToList();
        var learned = candidates.Select(d => learnedWeights.TryGetValue(d.Id, out var w) && double.IsFinite(w) && w > 0 ? w : 0).ToList();
        var hitTotal = hits.Sum();
        var learnedTotal = learned.Sum();

        var scores = new List<DomainScore>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var keyword = hitTotal > 0 ? hits[i] / hitTotal : 0;
            var weight = learnedTotal > 0 ? learned[i] / learnedTotal : 0;
            scores.Add(new DomainScore(candidates[i].Id, keyword, weight, KeywordShare * keyword + LearnedShare * weight));
        }
        return scores;
    }

    /// <summary>Lower-case words separated by single spaces and framed by spaces, so matching is by whole words.</summary>
    private static string Normalize(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length + 2).Append(' ');
        var lastWasSpace = true;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) { builder.Append(char.ToLowerInvariant(c)); lastWasSpace = false; }
            else if (!lastWasSpace) { builder.Append(' '); lastWasSpace = true; }
        }
        if (!lastWasSpace) builder.Append(' ');
        return builder.ToString();
    }
}
