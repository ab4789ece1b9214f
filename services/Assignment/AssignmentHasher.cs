using System.Buffers;
using System.Text;

namespace DomainPlatform.Assignment;

/// <summary>
/// Deterministic assignment of a key (user id, API key) to one of <see cref="BucketCount"/> buckets under a salt
/// (experiment or rollout id). The same salt and key always give the same bucket, in every process.
/// </summary>
/// <remarks>
/// The bucket is <c>xxHash64(utf8(key), seed: xxHash64(utf8(salt), 0))</c> mapped onto [0, 10000) by a
/// multiply-high (no modulo bias worth naming). Hashing the salt into the seed, rather than concatenating salt and
/// key, means no two (salt, key) pairs can collide by shifting characters between them.
/// </remarks>
public static class AssignmentHasher
{
    /// <summary>Number of buckets: one bucket is 0.01% of the traffic.</summary>
    public const int BucketCount = 10_000;

    // Keys up to this many UTF-8 bytes are encoded on the stack; longer ones borrow a pooled array.
    private const int StackLimitBytes = 512;

    /// <summary>The 64-bit seed a salt stands for; compute it once per experiment and reuse it.</summary>
    public static ulong SeedFor(ReadOnlySpan<char> salt) => HashUtf8(salt, 0);

    /// <summary>The 64-bit hash of a key under a salt.</summary>
    public static ulong Hash(string salt, string key)
    {
        ArgumentNullException.ThrowIfNull(salt);
        ValidateKey(key);
        return HashUtf8(key, SeedFor(salt));
    }

    /// <summary>The bucket in [0, <see cref="BucketCount"/>) of a key under a salt.</summary>
    public static int GetBucket(string salt, string key) => BucketOf(Hash(salt, key));

    /// <summary>The bucket of a key under a precomputed salt seed (see <see cref="SeedFor"/>).</summary>
    public static int GetBucket(ulong saltSeed, ReadOnlySpan<char> key)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The assignment key must not be empty: every anonymous caller would share one bucket.", nameof(key));
        }

        return BucketOf(HashUtf8(key, saltSeed));
    }

    /// <summary>Maps a 64-bit hash onto [0, <see cref="BucketCount"/>) with the high half of a 128-bit product.</summary>
    public static int BucketOf(ulong hash) => (int)Math.BigMul(hash, BucketCount, out _);

    private static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ArgumentException("The assignment key must not be empty: every anonymous caller would share one bucket.", nameof(key));
        }
    }

    private static ulong HashUtf8(ReadOnlySpan<char> text, ulong seed)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (maxBytes <= StackLimitBytes)
        {
            Span<byte> buffer = stackalloc byte[StackLimitBytes];
            var written = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash64.Hash(buffer[..written], seed);
        }

        var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            return XxHash64.Hash(rented.AsSpan(0, written), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
