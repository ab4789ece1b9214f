using System.Security.Claims;
using System.Text;

namespace DomainPlatform.Gateway.Auth;

/// <summary>
/// The <c>X-Actor</c> header the services audit changes by. Only the gateway sets it: whatever a client sends is
/// dropped, and an authenticated request carries <c>key:&lt;key name&gt; (&lt;role&gt;)</c>. Services trust it because
/// nothing but the gateway can reach them (a NetworkPolicy in Kubernetes; loopback under the launcher).
/// </summary>
public static class ActorHeader
{
    public const string Name = "X-Actor";

    /// <summary>The actor of an authenticated caller, e.g. <c>key:ops-bot (operator)</c>; null for an anonymous one.</summary>
    public static string? For(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        var name = user.FindFirstValue(ClaimTypes.Name);
        var role = user.FindFirstValue(ClaimTypes.Role);
        return name is null || role is null ? null : $"key:{name} ({role})";
    }

    /// <summary>
    /// The header value for an actor: printable ASCII stays as it is, '%' and everything else (a key name in any script,
    /// control characters) is percent-encoded UTF-8, so any key name travels in a header and decodes back exactly.
    /// </summary>
    public static string Encode(string actor)
    {
        var builder = new StringBuilder(actor.Length);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in actor.EnumerateRunes())
        {
            if (rune.Value is >= 0x20 and < 0x7F && rune.Value != '%')
            {
                builder.Append((char)rune.Value);
                continue;
            }
            var written = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..written]) builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
