namespace DomainPlatform.Contracts.Text;

/// <summary>
/// Splits text into lower-case word tokens (runs of letters and digits): what a domain keyword is matched
/// against, shared so that extraction's domain detection and training's baseline count the same words.
/// </summary>
public static class TextTokens
{
    public static List<string> Words(string? text)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(text)) return words;
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return words;
    }
}
