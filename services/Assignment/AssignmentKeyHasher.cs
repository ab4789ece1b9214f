using System.Security.Cryptography;
using System.Text;

namespace DomainPlatform.Assignment;

/// <summary>
/// The assignment key (a user id, X-User-Id, an API key id) as events carry it: the first 16 hex digits of
/// HMAC-SHA256 keyed with the platform's secret (<c>Platform:AssignmentKeySecret</c>). A plain SHA-256 of a known user
/// id could be matched by anyone who guesses the id; without the secret the hash says nothing. The same secret gives
/// the same hash for a user in every process and restart, so events of one deployment can be joined per user.
/// </summary>
/// <remarks>
/// Only the hash in events is keyed. The bucket that picks a variant (<see cref="AssignmentHasher"/>) stays
/// xxHash64 under the route's salt, reproducible by anyone who knows the salt: it is not published and reveals no id.
/// </remarks>
public sealed class AssignmentKeyHasher
{
    /// <summary>Shortest secret accepted: 32 characters (the launcher generates 64 hex digits, 256 bits).</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>Hex digits kept of the 64 the MAC has: 64 bits, enough to tell users apart in any experiment.</summary>
    public const int HexDigits = 16;

    private readonly byte[] _secret;

    public AssignmentKeyHasher(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < MinimumSecretLength)
        {
            throw new ArgumentException(
                $"The assignment key secret has {secret.Length} characters; it needs at least {MinimumSecretLength} so it cannot be guessed.", nameof(secret));
        }

        _secret = Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>The key's hash as lower-case hex, <see cref="HexDigits"/> long.</summary>
    public string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(key), mac);
        return Convert.ToHexStringLower(mac[..(HexDigits / 2)]);
    }
}
