namespace DomainPlatform.Training.Domain;

/// <summary>
/// A token unigram language model with add-one (Laplace) smoothing over the training vocabulary plus one
/// unknown-token slot: the simplest honest baseline a fine-tuned model has to beat on cross-entropy.
/// </summary>
public sealed class UnigramModel
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _total;

    public int VocabularySize => _counts.Count;
    public long TokenCount => _total;

    public void Add(IEnumerable<string> tokens)
    {
        foreach (var token in tokens)
        {
            _counts[token] = _counts.GetValueOrDefault(token) + 1;
            _total++;
        }
    }

    /// <summary>P(token) = (count + 1) / (N + V + 1); every unseen token shares the one unknown slot.</summary>
    public double Probability(string token) => (_counts.GetValueOrDefault(token) + 1.0) / (_total + _counts.Count + 1.0);

    /// <summary>Mean negative log-likelihood in nats per token; null for no tokens.</summary>
    public double? CrossEntropy(IEnumerable<string> tokens)
    {
        double sum = 0;
        long n = 0;
        foreach (var token in tokens)
        {
            sum -= Math.Log(Probability(token));
            n++;
        }
        return n == 0 ? null : sum / n;
    }

    /// <summary>The token the model predicts everywhere (most frequent; ties by ordinal order); null when empty.</summary>
    public string? MostFrequent => _counts.Count == 0
        ? null
        : _counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).First().Key;

    /// <summary>Share of tokens equal to the model's single prediction; null for no tokens.</summary>
    public double? Accuracy(IReadOnlyCollection<string> tokens)
    {
        if (tokens.Count == 0) return null;
        var guess = MostFrequent;
        return guess is null ? 0 : tokens.Count(t => t == guess) / (double)tokens.Count;
    }
}
