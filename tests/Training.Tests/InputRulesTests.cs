using System.Net.Http.Json;
using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.ProblemAssertions;

namespace DomainPlatform.Training.Tests;

/// <summary>Hostile input on training's API: a clear 400 naming the field, never a 500 or a job that cannot train.</summary>
public sealed class InputRulesTests(TrainingFactory factory) : IClassFixture<TrainingFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Dataset = "\"datasetId\":\"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f\"";

    public static TheoryData<string, string> Bodies()
    {
        var data = new TheoryData<string, string>();
        foreach (var bad in HostileStrings) data.Add($"{{{Dataset},\"baseModelPath\":{bad}}}", "baseModelPath");
        foreach (var bad in HostileNumbers) data.Add($"{{{Dataset},\"learningRate\":{bad}}}", "learningRate");
        data.Add($"{{{Dataset},\"learningRate\":1e-320}}", "learningRate");
        data.Add($"{{{Dataset},\"learningRate\":0.000000009}}", "learningRate");
        data.Add($"{{{Dataset},\"epochs\":18446744073709551617}}", "epochs");
        data.Add($"{{{Dataset},\"epochs\":1e400}}", "epochs");
        data.Add($"{{{Dataset},\"epochs\":1001}}", "epochs");
        data.Add("{\"datasetId\":\"\\u0000\"}", "datasetId");
        return data;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task A_job_request_with_hostile_values_is_refused_naming_the_field(string body, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/training/jobs", Json(body), field, Ct));
    }

    [Theory]
    [InlineData("/api/training/jobs?domain=a%00b", "domain")]
    [InlineData("/api/training/jobs?state=%00", "state")]
    public async Task A_nul_in_a_query_parameter_is_refused_naming_it(string path, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Get, path, null, field, Ct));
    }

    [Fact]
    public async Task Cancel_takes_no_body()
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, $"/api/training/jobs/{Guid.NewGuid()}/cancel", Json("{\"force\":true}"), "body", Ct));
    }

    [Fact]
    public async Task A_state_filter_matches_whatever_the_case_and_an_unknown_one_is_refused()
    {
        var client = factory.CreateClient();
        var queued = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/training/jobs?state=Queued", Ct);
        Assert.All(queued.EnumerateArray(), job => Assert.Equal("queued", job.GetProperty("state").GetString()));
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/training/jobs?state=exploded", null, "state", Ct));
    }

    private static void Refused(string? failure) => Assert.True(failure is null, failure);
}
