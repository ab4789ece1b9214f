using System.Text.RegularExpressions;

namespace DomainPlatform.Gateway.Outcomes;

/// <summary>
/// Reads token counts from the end of an OpenAI response: the <c>usage</c> object of a JSON body or of
/// the last streamed chunk. Missing figures read as 0.
/// </summary>
public static partial class UsageParser
{
    public static (int TokensIn, int TokensOut) Parse(string tail)
    {
        return (Last(PromptTokens(), tail), Last(CompletionTokens(), tail));

        static int Last(Regex pattern, string text)
        {
            var matches = pattern.Matches(text);
            return matches.Count > 0 && int.TryParse(matches[^1].Groups[1].ValueSpan, out var n) ? n : 0;
        }
    }

    [GeneratedRegex("\"prompt_tokens\"\\s*:\\s*(\\d{1,9})(?!\\d)")]
    private static partial Regex PromptTokens();

    [GeneratedRegex("\"completion_tokens\"\\s*:\\s*(\\d{1,9})(?!\\d)")]
    private static partial Regex CompletionTokens();
}
