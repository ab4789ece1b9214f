using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.HostileBodies;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Generated hostile bodies into every field of the gateway's own endpoints: never a 5xx, always problem details.</summary>
public sealed class PropertyTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private const long Iterations = 300;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_and_feedback_never_fail_on_any_body()
    {
        var admin = factory.CreateClient(factory.AdminKey);
        await NeverFailAsync(admin, HttpMethod.Post, "/api/keys", Object(("name", Mostly("\"fuzzed key\"")), ("role", Mostly("\"viewer\""))), Iterations, Ct);
        await NeverFailAsync(admin, HttpMethod.Post, "/v1/feedback", Object(
            ("requestId", Mostly("\"req-1\"")), ("score", Mostly("0.5")), ("thumbsUp", Mostly("true")), ("label", Mostly("\"good\""))), Iterations, Ct);
    }
}
