using System.Text;

namespace DomainPlatform.Assignment.Tests;

public class XxHash64Tests
{
    [Fact]
    public void Empty_input_with_seed_zero_matches_the_published_value()
    {
        Assert.Equal(0xEF46DB3751D8E999UL, XxHash64.Hash([], 0));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0x9E3779B185EBCA87UL)]
    [InlineData(ulong.MaxValue)]
    public void Every_length_from_0_to_200_matches_the_reference_implementation(ulong seed)
    {
        var random = new Random(12345);
        for (var length = 0; length <= 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            var expected = System.IO.Hashing.XxHash64.HashToUInt64(data, unchecked((long)seed));
            Assert.Equal(expected, XxHash64.Hash(data, seed));
        }
    }

    [Fact]
    public void Assignment_hash_is_xxhash64_of_the_key_seeded_with_the_hash_of_the_salt()
    {
        const string salt = "experiment-42";
        const string key = "user-\u00e9\u4e2d\U0001F600";
        var seed = System.IO.Hashing.XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(salt));
        var expected = System.IO.Hashing.XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key), unchecked((long)seed));

        Assert.Equal(seed, AssignmentHasher.SeedFor(salt));
        Assert.Equal(expected, AssignmentHasher.Hash(salt, key));
    }

    [Fact]
    public void Keys_longer_than_the_stack_buffer_hash_like_short_ones()
    {
        var key = string.Concat(Enumerable.Repeat("\u4e2d-long-key-", 200));
        var seed = AssignmentHasher.SeedFor("salt");
        var expected = System.IO.Hashing.XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key), unchecked((long)seed));

        Assert.Equal(expected, AssignmentHasher.Hash("salt", key));
        Assert.Equal(AssignmentHasher.BucketOf(expected), AssignmentHasher.GetBucket(seed, key));
    }
}
