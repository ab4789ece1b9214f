using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

public sealed class SemanticVersionTests
{
    [Theory]
    [InlineData("0.0.0", 0, 0, 0)]
    [InlineData("1.2.3", 1, 2, 3)]
    [InlineData("10.20.30", 10, 20, 30)]
    [InlineData("2147483647.0.1", int.MaxValue, 0, 1)]
    public void Parses_valid_versions(string text, int major, int minor, int patch)
    {
        Assert.Equal(new SemanticVersion(major, minor, patch), SemanticVersion.Parse(text));
        Assert.Equal(text, SemanticVersion.Parse(text).ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.2")]
    [InlineData("1.2.3.4")]
    [InlineData("01.2.3")]
    [InlineData("1.02.3")]
    [InlineData("1.2.03")]
    [InlineData("v1.2.3")]
    [InlineData("1.2.3-beta")]
    [InlineData("1.2.3+build")]
    [InlineData("+1.2.3")]
    [InlineData("-1.2.3")]
    [InlineData(" 1.2.3")]
    [InlineData("1.2.3 ")]
    [InlineData("1..3")]
    [InlineData("a.b.c")]
    [InlineData("2147483648.0.0")]
    [InlineData("1.2.٣")]
    public void Refuses_anything_else(string? text)
    {
        Assert.False(SemanticVersion.TryParse(text, out _));
        Assert.Throws<FormatException>(() => SemanticVersion.Parse(text));
    }

    [Theory]
    [InlineData("1.2.3", VersionBump.Major, "2.0.0")]
    [InlineData("1.2.3", VersionBump.Minor, "1.3.0")]
    [InlineData("1.2.3", VersionBump.Patch, "1.2.4")]
    [InlineData("0.0.0", VersionBump.Patch, "0.0.1")]
    [InlineData("0.9.9", VersionBump.Major, "1.0.0")]
    [InlineData("1.9.0", VersionBump.Minor, "1.10.0")]
    public void Bumps_reset_the_lower_parts(string from, VersionBump bump, string to) =>
        Assert.Equal(SemanticVersion.Parse(to), SemanticVersion.Parse(from).Bump(bump));

    [Fact]
    public void A_bump_past_the_largest_number_throws_rather_than_wrapping() =>
        Assert.Throws<OverflowException>(() => new SemanticVersion(int.MaxValue, 0, 0).Bump(VersionBump.Major));

    [Theory]
    [InlineData("1.0.0", "2.0.0")]
    [InlineData("1.9.0", "1.10.0")]
    [InlineData("1.0.9", "1.0.10")]
    [InlineData("0.99.99", "1.0.0")]
    [InlineData("1.2.3", "1.3.0")]
    public void Orders_numerically_not_as_text(string lower, string higher)
    {
        var a = SemanticVersion.Parse(lower);
        var b = SemanticVersion.Parse(higher);
        Assert.True(a < b);
        Assert.True(b > a);
        Assert.True(a <= b && b >= a);
        Assert.Equal(-1, Math.Sign(a.CompareTo(b)));
        Assert.Equal(1, Math.Sign(b.CompareTo(a)));
        Assert.Equal(0, a.CompareTo(a));
        Assert.Equal(a, new[] { b, a }.Min());
    }

    [Theory]
    [InlineData(null, VersionBump.Minor)]
    [InlineData("", VersionBump.Minor)]
    [InlineData("MAJOR", VersionBump.Major)]
    [InlineData(" patch ", VersionBump.Patch)]
    [InlineData("minor", VersionBump.Minor)]
    public void Parses_bump_names(string? text, VersionBump expected) => Assert.Equal(expected, SemanticVersion.ParseBump(text));

    [Fact]
    public void Refuses_unknown_bumps() => Assert.Throws<FormatException>(() => SemanticVersion.ParseBump("huge"));
}
