using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.HostileBodies;

namespace DomainPlatform.Training.Tests;

/// <summary>Generated hostile bodies into every field of a job request: never a 5xx, always problem details.</summary>
public sealed class PropertyTests(TrainingFactory factory) : IClassFixture<TrainingFactory>
{
    [Fact]
    public async Task Starting_a_job_never_fails_on_any_body()
    {
        await NeverFailAsync(factory.CreateClient(), HttpMethod.Post, "/api/training/jobs", Object(
            ("datasetId", Mostly($"\"{Guid.NewGuid()}\"")), ("epochs", Mostly("2")), ("learningRate", Mostly("0.001")),
            ("baseModelPath", Mostly("\"/models/base.gguf\""))), 300, TestContext.Current.CancellationToken);
    }
}
