using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace DomainPlatform.Extraction.Domain;

public enum PiiKind { Email, Iban, CardNumber, IpAddress, Phone }

/// <summary>The redacted text and how many items of each kind were replaced.</summary>
public sealed record Redaction(string Text, IReadOnlyDictionary<PiiKind, int> Counts)
{
    public int Total => Counts.Values.Sum();
}

/// <summary>
/// Replaces personal data with typed placeholders ([EMAIL], [IBAN], [CARD], [IP], [PHONE]). Candidates are
/// validated where a checksum exists (IBAN mod-97, card Luhn, IP parse) so ordinary numbers survive; the
/// order matters: structured identifiers go first so a card number is never half-eaten as a phone number.
/// </summary>
public static partial class PiiRedactor
{
    public static readonly IReadOnlyDictionary<PiiKind, string> Placeholders = new Dictionary<PiiKind, string>
    {
        [PiiKind.Email] = "[EMAIL]",
        [PiiKind.Iban] = "[IBAN]",
        [PiiKind.CardNumber] = "[CARD]",
        [PiiKind.IpAddress] = "[IP]",
        [PiiKind.Phone] = "[PHONE]",
    };

    /// <summary>Phone-like runs need this many digits unless written with a '+' or an area code in parentheses (dates have 8).</summary>
    public const int MinimumBarePhoneDigits = 9;

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")]
    private static partial Regex IbanPattern();

    [GeneratedRegex(@"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")]
    private static partial Regex CardPattern();

    [GeneratedRegex(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)")]
    private static partial Regex IPv4Pattern();

    [GeneratedRegex(@"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])")]
    private static partial Regex IPv6Pattern();

    [GeneratedRegex(@"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:\(\d{1,5}\)[ -]?)?\d{2,15}(?:[ -]\d{2,8}){0,5}(?!\w)")]
    private static partial Regex PhonePattern();

    public static Redaction Redact(string? text)
    {
        var counts = Enum.GetValues<PiiKind>().ToDictionary(k => k, _ => 0);
        if (string.IsNullOrEmpty(text)) return new Redaction(text ?? "", counts);

        var result = Replace(text, EmailPattern(), PiiKind.Email, _ => true, counts);
        result = Replace(result, IbanPattern(), PiiKind.Iban, IsValidIban, counts);
        result = Replace(result, CardPattern(), PiiKind.CardNumber, PassesLuhn, counts);
        result = Replace(result, IPv4Pattern(), PiiKind.IpAddress, _ => true, counts);
        result = Replace(result, IPv6Pattern(), PiiKind.IpAddress, IsIPv6, counts);
        result = Replace(result, PhonePattern(), PiiKind.Phone, LooksLikePhone, counts);
        return new Redaction(result, counts);
    }

    private static string Replace(string text, Regex pattern, PiiKind kind, Func<string, bool> accept, Dictionary<PiiKind, int> counts) =>
        pattern.Replace(text, m =>
        {
            if (!accept(m.Value)) return m.Value;
            counts[kind]++;
            return Placeholders[kind];
        });

    /// <summary>ISO 13616: move the first four characters to the end, letters to 10..35, remainder mod 97 must be 1.</summary>
    public static bool IsValidIban(string candidate)
    {
        var compact = candidate.Replace(" ", "", StringComparison.Ordinal);
        if (compact.Length is < 15 or > 34) return false;
        var rearranged = compact[4..] + compact[..4];
        var remainder = 0;
        foreach (var c in rearranged)
        {
            int value;
            if (c is >= '0' and <= '9') value = c - '0';
            else if (c is >= 'A' and <= 'Z') value = c - 'A' + 10;
            else return false;
            remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
        }
        return remainder == 1;
    }

    public static bool PassesLuhn(string candidate)
    {
        var digits = candidate.Where(char.IsAsciiDigit).Select(c => c - '0').ToArray();
        if (digits.Length is < 13 or > 19) return false;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    // A decimal digit is required so C++-style scopes such as "a::b" (formally an address) survive.
    private static bool IsIPv6(string candidate) =>
        candidate.Any(char.IsAsciiDigit)
        && IPAddress.TryParse(candidate, out var address)
        && address.AddressFamily == AddressFamily.InterNetworkV6;

    private static bool LooksLikePhone(string candidate)
    {
        var digits = candidate.Count(char.IsAsciiDigit);
        if (digits is < 7 or > 15) return false;
        var marked = candidate.StartsWith('+') || candidate.Contains('(');
        return marked || digits >= MinimumBarePhoneDigits;
    }
}
