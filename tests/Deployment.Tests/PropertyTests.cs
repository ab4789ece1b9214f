using CsCheck;
using DomainPlatform.TestSupport;
using static DomainPlatform.Deployment.Tests.TestApi;
using static DomainPlatform.TestSupport.HostileBodies;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Generated hostile bodies into every field of deployment's main endpoints: never a 5xx, always problem details.</summary>
public sealed class PropertyTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    private const long Iterations = 300;

    private static readonly Gen<HostileJson> Gates = Object(
        ("minAccuracy", Mostly("0.5")), ("maxLatencyMs", Mostly("900")), ("maxTrainingLoss", Mostly("1")), ("maxValidationLoss", Mostly("1")));
    private static readonly Gen<HostileJson> Rollback = Object(
        ("maxAccuracyDrop", Mostly("0.1")), ("maxLatencyRatio", Mostly("2")), ("maxErrorRate", Mostly("0.2")), ("minSamples", Mostly("20")));
    private static readonly Gen<HostileJson> Cache = Object(("enabled", Mostly("true")), ("ttlSeconds", Mostly("60")));

    private static (string, Gen<HostileJson>)[] DomainFields() =>
    [
        ("name", Mostly("\"SQL agent\"")), ("agentId", Mostly("\"agent-7\"")), ("layer", Mostly("\"agents\"")), ("team", Mostly("\"data\"")),
        ("keywords", Mostly("[\"sql\",\"join\"]")), ("baseModel", Mostly("\"tiny-llama\"")), ("maxTokens", Mostly("256")),
        ("gates", Gen.OneOf(Gates, Value)), ("rollback", Gen.OneOf(Rollback, Value)), ("cache", Gen.OneOf(Cache, Value)),
    ];

    [Fact]
    public async Task Creating_a_domain_never_fails_on_any_body()
    {
        await NeverFailAsync(factory.CreateClient(), HttpMethod.Post, "/api/domains", Object([("id", Gen.Frequency((3, Gen.Const(0).Select(_ => new HostileJson($"\"{NewDomainId()}\"", false))), (1, Value))), .. DomainFields()]),
            Iterations, Ct);
    }

    [Fact]
    public async Task Patching_a_domain_never_fails_on_any_body()
    {
        var domain = await CreateDomainAsync(factory.CreateClient());
        await NeverFailAsync(factory.CreateClient(), HttpMethod.Patch, $"/api/domains/{domain}", Object(DomainFields()), Iterations, Ct);
    }

    [Fact]
    public async Task Registering_a_version_never_fails_on_any_body()
    {
        var domain = await CreateDomainAsync(factory.CreateClient());
        var (path, sha) = Artifact();
        await NeverFailAsync(factory.CreateClient(), HttpMethod.Post, $"/api/models/{domain}/versions", Object(
            ("version", Value), ("bump", Mostly("\"patch\"")), ("artifactPath", Mostly($"\"{path}\"")),
            ("artifactSha256", Mostly($"\"{sha}\"")), ("artifactSizeBytes", Value),
            ("metrics", Gen.OneOf(Object(("accuracy", Mostly("0.9")), ("latency_ms", Mostly("100"))), Value)), ("trainingRunId", Mostly("\"run-1\"")),
            ("datasetId", Mostly("\"ds-1\"")), ("baseVersion", Mostly("\"1.0.0\"")), ("tags", Mostly("[\"auto\"]"))), Iterations, Ct);
    }

    [Fact]
    public async Task Starting_a_rollout_never_fails_on_any_body()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await DeployStableAsync(client, domain, "1.0.0");
        await NeverFailAsync(client, HttpMethod.Post, "/api/rollouts", Object(
            ("domain", Mostly($"\"{domain}\"")), ("version", Mostly("\"1.1.0\"")),
            ("steps", Mostly("[5,100]")), ("minStepSeconds", Mostly("0")), ("minSamples", Mostly("10"))), Iterations, Ct);
    }

    [Fact]
    public async Task Tags_aliases_and_rollout_commands_never_fail_on_any_body()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await NeverFailAsync(client, HttpMethod.Put, $"/api/models/{domain}/versions/1.0.0/tags", Object(("tags", Mostly("[\"a\",\"b\"]"))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Put, $"/api/models/{domain}/aliases/champion", Object(("version", Mostly("\"1.0.0\""))), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Post, $"/api/rollouts/{Guid.NewGuid()}/promote", Object("reason"), Iterations, Ct);
        await NeverFailAsync(client, HttpMethod.Post, $"/api/deployments/{domain}/rollback", Object(("version", Mostly("\"1.0.0\"")), ("reason", Mostly("\"why\""))), Iterations, Ct);
    }
}
