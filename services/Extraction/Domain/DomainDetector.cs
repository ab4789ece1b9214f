using DomainPlatform.Contracts.Text;
namespace DomainPlatform.Extraction.Domain;

/// <summary>A business domain described by the keywords (single words or phrases) that signal it.</summary>
public sealed record DomainProfile(string Domain, IReadOnlyList<string> Keywords);

/// <summary>
/// How strongly a text matches one domain: <see cref="Hits"/> keyword occurrences, <see cref="DistinctKeywords"/>
/// different keywords among them, and <see cref="Score"/> the share of the text's tokens those hits cover (0..1).
/// </summary>
public sealed record DomainScore(string Domain, int Hits, int DistinctKeywords, double Score);

/// <summary>The best matching domain and the runner-up; both null when no profile matched at all.</summary>
public sealed record DomainDetection(DomainScore? Best, DomainScore? RunnerUp, int TokenCount)
{
    /// <summary>How far the best domain is ahead of the runner-up, in score; the full score when there is no runner-up.</summary>
    public double Margin => Best is null ? 0 : Best.Score - (RunnerUp?.Score ?? 0);
}

/// <summary>
/// Keyword scoring of a text against domain profiles: every occurrence of a keyword (a phrase matches as a
/// consecutive run of tokens) is a hit; domains rank by hits, then by distinct keywords, then by name so the
/// result is deterministic.
/// </summary>
public static class DomainDetector
{
    public static DomainDetection Detect(string? text, IEnumerable<DomainProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var tokens = TextTokens.Words(text);
        var ranked = profiles
            .Select(p => ScoreProfile(tokens, p))
            .Where(s => s.Hits > 0)
            .OrderByDescending(s => s.Hits)
            .ThenByDescending(s => s.DistinctKeywords)
            .ThenBy(s => s.Domain, StringComparer.Ordinal)
            .Take(2)
            .ToList();
        return new DomainDetection(ranked.ElementAtOrDefault(0), ranked.ElementAtOrDefault(1), tokens.Count);
    }

    private static DomainScore ScoreProfile(List<string> tokens, DomainProfile profile)
    {
        var phrases = profile.Keywords
            .Select(TextTokens.Words)
            .Where(p => p.Count > 0)
            .DistinctBy(p => string.Join(' ', p))
            .ToList();
        int hits = 0, distinct = 0, coveredTokens = 0;
        foreach (var phrase in phrases)
        {
            var occurrences = CountOccurrences(tokens, phrase);
            hits += occurrences;
            coveredTokens += occurrences * phrase.Count;
            if (occurrences > 0) distinct++;
        }
        var score = tokens.Count == 0 ? 0 : Math.Min(1.0, (double)coveredTokens / tokens.Count);
        return new DomainScore(profile.Domain, hits, distinct, score);
    }

    private static int CountOccurrences(List<string> tokens, List<string> phrase)
    {
        var count = 0;
        for (var i = 0; i + phrase.Count <= tokens.Count; i++)
        {
            var match = true;
            for (var j = 0; j < phrase.Count && match; j++) match = tokens[i + j] == phrase[j];
            if (match) count++;
        }
        return count;
    }
}
