using DomainPlatform.Deployment.Rollouts;
using Microsoft.Extensions.DependencyInjection;
using static DomainPlatform.Deployment.Tests.TestApi;

namespace DomainPlatform.Deployment.Tests;

/// <summary>The service with its own rollout controller off, so that a test drives controller passes itself.</summary>
public sealed class ManualControllerFactory : DeploymentFactory
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [.. base.Settings, new("Deployment:RolloutControllerEnabled", "false")];
}

public sealed class ControllerTests(ManualControllerFactory factory) : IClassFixture<ManualControllerFactory>
{
    [Fact]
    public async Task A_rollout_whose_decision_cannot_be_stored_does_not_stop_the_pass_for_the_others()
    {
        var client = factory.CreateClient();
        var poisoned = await CreateDomainAsync(client);
        var healthy = await CreateDomainAsync(client);
        foreach (var domain in new[] { poisoned, healthy })
        {
            await RegisterOkAsync(client, domain, "1.0.0");
            await RegisterOkAsync(client, domain, "1.1.0");
            await DeployStableAsync(client, domain, "1.0.0");
        }
        // Postgres refuses a NUL character in text, so the poisoned rollout's decision cannot be written.
        factory.Remotes.Verdict = r => FakeRemotes.Reply("continue", 500, r.Domain == poisoned ? "bad\u0000reason" : "fine");
        var stuck = await StartRolloutAsync(client, poisoned, "1.1.0");
        var moving = await StartRolloutAsync(client, healthy, "1.1.0");
        var controller = ActivatorUtilities.CreateInstance<RolloutController>(factory.Services);

        var decided = await controller.TickAsync(Ct);

        Assert.Equal(1, decided);
        Assert.Equal(1, (await GetJsonAsync(client, $"/api/rollouts/{moving}")).GetProperty("stepIndex").GetInt32());
        var held = await GetJsonAsync(client, $"/api/rollouts/{stuck}");
        Assert.Equal((0, 1), (held.GetProperty("stepIndex").GetInt32(), held.GetProperty("decisions").GetArrayLength()));
    }
}
