using CsCheck;
using DomainPlatform.TestSupport;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Bodies generated from deployment's own OpenAPI document into every POST, PUT and PATCH (<see cref="OpenApiFuzz"/>).</summary>
public sealed class OpenApiFuzzTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    [Fact]
    public async Task Every_write_operation_keeps_to_its_documented_schema()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await DeployStableAsync(client, domain, "1.0.0");
        // A second domain with a rollout under way, for the rollout commands.
        var other = await CreateDomainAsync(client);
        await RegisterOkAsync(client, other, "1.0.0");
        await DeployStableAsync(client, other, "1.0.0");
        await RegisterOkAsync(client, other, "1.1.0");
        var rollout = await StartRolloutAsync(client, other, "1.1.0", minSamples: 1_000_000);
        var (artifact, sha) = Artifact();
        var versions = Gen.Frequency((2, Gen.OneOf("1.0.0", "1.1.0")), (1, Gen.Int[2, 999].Select(minor => $"1.{minor}.0")));
        var report = await OpenApiFuzz.RunAsync(client, new FuzzOptions
        {
            PathValues = new Dictionary<string, Gen<string>>
            {
                ["/api/domains/{id}"] = Gen.Frequency((3, Gen.Const(domain)), (1, Gen.Const(0).Select(_ => NewDomainId()))),
                ["domain"] = Gen.OneOf(domain, other),
                ["version"] = versions,
                ["alias"] = Gen.OneOf("prod", "stable", "canary", "latest"),
                ["/api/rollouts/{id}"] = Gen.Frequency((3, Gen.Const(rollout.ToString())), (1, Gen.Guid.Select(g => g.ToString()))),
            },
            PropertyValues = new Dictionary<string, Gen<string>>
            {
                ["id"] = Gen.Const(0).Select(_ => $"\"{NewDomainId()}\""),
                ["domain"] = Gen.OneOf($"\"{domain}\"", $"\"{other}\""),
                ["version"] = versions.Select(v => $"\"{v}\""),
                ["artifactPath"] = Gen.Const(System.Text.Json.JsonSerializer.Serialize(artifact)),
                ["artifactSha256"] = Gen.Const($"\"{sha}\""),
                ["bump"] = Gen.OneOf("\"patch\"", "\"minor\"", "\"major\""),
                ["weight"] = Gen.Double[0, 100].Select(w => w.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            },
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(report.Summary("deployment"));
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary("deployment"));
    }
}
