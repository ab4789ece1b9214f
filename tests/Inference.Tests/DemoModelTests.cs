using DomainPlatform.TestSupport;

namespace DomainPlatform.Inference.Tests;

public sealed class DemoModelTests(DemoModelFactory factory) : IClassFixture<DemoModelFactory>
{
    [Fact]
    public async Task The_demo_model_is_served_under_the_id_demo()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        await Eventually.GetAsync(() => client.GetStringAsync("/v1/models", ct), models => models.Contains("\"demo\""), "the demo model to load");
        var result = await client.PostJsonAsync("/v1/chat/completions",
            new { model = InferenceOptions.DemoModelId, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 4, temperature = 0 }, ct);
        Assert.Equal(InferenceOptions.DemoModelId, result.GetProperty("model").GetString());
        Assert.Contains(result.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
    }
}
