using System.Security.Cryptography;
using System.Text;

namespace DomainPlatform.Assignment.Tests;

public class AssignmentKeyHasherTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void The_hash_is_hmac_sha256_under_the_secret_cut_to_sixteen_hex_digits()
    {
        var hash = new AssignmentKeyHasher(Secret).Hash("alice@example.com");

        Assert.Matches("^[0-9a-f]{16}$", hash);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("alice@example.com")))[..16];
        Assert.Equal(expected, hash);
    }

    [Fact]
    public void An_unsalted_sha256_of_a_guessed_id_does_not_match()
    {
        var hash = new AssignmentKeyHasher(Secret).Hash("alice@example.com");

        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("alice@example.com")))[..16], hash);
    }

    [Fact]
    public void The_same_secret_gives_the_same_hash_in_every_instance_and_another_secret_another()
    {
        var first = new AssignmentKeyHasher(Secret);
        var second = new AssignmentKeyHasher(Secret);
        var other = new AssignmentKeyHasher(Secret.Replace('0', 'x'));

        for (var i = 0; i < 200; i++)
        {
            var key = $"user-{i}";
            Assert.Equal(first.Hash(key), second.Hash(key));
            Assert.NotEqual(first.Hash(key), other.Hash(key));
            Assert.NotEqual(first.Hash(key), first.Hash($"user-{i + 1}"));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("0123456789abcdef0123456789abcde")]
    public void A_secret_under_thirty_two_characters_is_refused(string secret)
    {
        var error = Assert.Throws<ArgumentException>(() => new AssignmentKeyHasher(secret));
        Assert.Contains("at least 32", error.Message);
    }
}
