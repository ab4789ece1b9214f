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

    /// <summary>
    /// Inference's <c>timings.shared_device_ms</c>: the device time other models took while the request was in flight, or
    /// null when the answer carries none (a cached answer, an older inference, an error).
    /// </summary>
    public static double? SharedDeviceMs(string tail)
    {
        var matches = SharedDevice().Matches(tail);
        return matches.Count > 0 && double.TryParse(matches[^1].Groups[1].ValueSpan, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var ms) && double.IsFinite(ms) && ms >= 0 ? ms : null;
    }

    [GeneratedRegex("\"shared_device_ms\"\\s*:\\s*([0-9][0-9.eE+-]{0,30})")]
    private static partial Regex SharedDevice();

    [GeneratedRegex("\"prompt_tokens\"\\s*:\\s*(\\d{1,9})(?!\\d)")]
    private static partial Regex PromptTokens();

    [GeneratedRegex("\"completion_tokens\"\\s*:\\s*(\\d{1,9})(?!\\d)")]
    private static partial Regex CompletionTokens();
}
