using DomainPlatform.Gateway.Auth;
using Microsoft.Extensions.Primitives;

namespace DomainPlatform.Gateway.Tests;

public sealed class ApiKeysTests
{
    [Fact]
    public void Generated_keys_are_distinct_prefixed_and_stored_only_as_their_sha256()
    {
        var a = ApiKeys.Generate();
        var b = ApiKeys.Generate();
        Assert.NotEqual(a.Secret, b.Secret);
        Assert.StartsWith(ApiKeys.SecretPrefix, a.Secret);
        Assert.Equal(ApiKeys.SecretPrefix.Length + 43, a.Secret.Length); // 32 random bytes, base64url without padding
        Assert.Equal(32, a.Hash.Length);
        Assert.Equal(ApiKeys.Hash(a.Secret), a.Hash);
        Assert.StartsWith(a.Prefix, a.Secret);
        Assert.True(a.Prefix.Length < a.Secret.Length / 2);
    }

    [Fact]
    public void Hash_is_sha256_of_the_utf8_key()
    {
        Assert.Equal("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", Convert.ToHexString(ApiKeys.Hash("abc")));
    }

    [Theory]
    [InlineData("Bearer dpk_abc", null, "dpk_abc")]
    [InlineData("bearer   dpk_abc  ", null, "dpk_abc")]
    [InlineData(null, "dpk_x", "dpk_x")]
    [InlineData("Bearer dpk_bearer", "dpk_header", "dpk_header")]
    [InlineData("Basic dXNlcjpwdw==", null, null)]
    [InlineData("Bearer ", null, null)]
    [InlineData(null, "  ", null)]
    [InlineData(null, null, null)]
    public void Reads_the_presented_key_from_bearer_or_header(string? authorization, string? header, string? expected)
    {
        var presented = ApiKeys.ReadPresented(
            authorization is null ? StringValues.Empty : new StringValues(authorization),
            header is null ? StringValues.Empty : new StringValues(header));
        Assert.Equal(expected, presented);
    }

    [Theory]
    [InlineData("admin", true)]
    [InlineData("operator", true)]
    [InlineData("viewer", true)]
    [InlineData("client", true)]
    [InlineData("Admin", false)]
    [InlineData("root", false)]
    [InlineData(null, false)]
    public void Only_the_four_roles_are_known(string? role, bool known) => Assert.Equal(known, Roles.IsKnown(role));

    [Theory]
    [InlineData("admin", true)]
    [InlineData("operator", true)]
    [InlineData("viewer", false)]
    [InlineData("client", false)]
    [InlineData(null, false)]
    public void Only_operators_and_admins_may_force_a_variant(string? role, bool allowed) => Assert.Equal(allowed, Policies.MayForceVariant(role));

    [Fact]
    public void Every_policy_admits_admins_and_clients_never_manage()
    {
        Assert.All(Policies.RolesByPolicy.Values, roles => Assert.Contains(Roles.Admin, roles));
        Assert.DoesNotContain(Roles.Client, Policies.RolesByPolicy[Policies.ManageApis]);
        Assert.DoesNotContain(Roles.Client, Policies.RolesByPolicy[Policies.ReadApis]);
        Assert.DoesNotContain(Roles.Viewer, Policies.RolesByPolicy[Policies.Inference]);
    }
}
