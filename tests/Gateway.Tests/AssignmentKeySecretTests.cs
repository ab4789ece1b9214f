using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Gateway.Tests;

/// <summary><c>Platform:AssignmentKeySecret</c> is checked when the gateway starts: outside Development it must be there.</summary>
public sealed class AssignmentKeySecretTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Theory]
    [InlineData("", "is required outside Development")]
    [InlineData("too-short-a-secret", "needs at least 32")]
    public void Outside_development_the_gateway_does_not_start_without_a_long_enough_secret(string secret, string message)
    {
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production").UseSetting("Platform:AssignmentKeySecret", secret));

        var error = Assert.ThrowsAny<Exception>(() => production.CreateClient());

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException
            ?? (error as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.NotNull(validation);
        Assert.Contains("Platform:AssignmentKeySecret", validation.Message);
        Assert.Contains(message, validation.Message);
    }

    [Fact]
    public async Task Outside_development_the_gateway_starts_with_one()
    {
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));

        var alive = await production.CreateClient().GetAsync("/alive", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task In_development_the_gateway_starts_without_one()
    {
        using var development = factory.WithWebHostBuilder(b => b.UseSetting("Platform:AssignmentKeySecret", ""));

        var alive = await development.CreateClient().GetAsync("/alive", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
