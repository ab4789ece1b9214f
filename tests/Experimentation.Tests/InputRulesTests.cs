using System.Net;
using System.Net.Http.Json;
using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.ProblemAssertions;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>Hostile input on experimentation's API: a clear 400 naming the field, never a 500 or an accepted nonsense design.</summary>
public sealed class InputRulesTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Variants = "\"variants\":[{\"name\":\"control\",\"modelVersion\":\"1.0.0\"},{\"name\":\"b\",\"modelVersion\":\"1.1.0\"}]";

    private static string Design(string fields) => $"{{\"name\":\"n\",\"domain\":\"{ExperimentsApiTests.NewDomain()}\",{Variants},{fields}}}";

    public static TheoryData<string, string, string> StoredStrings()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var bad in HostileStrings)
        {
            data.Add("/api/experiments", $"{{\"name\":{bad},\"domain\":\"d\",{Variants}}}", "name");
            data.Add("/api/experiments", $"{{\"name\":\"n\",\"domain\":{bad},{Variants}}}", "domain");
            data.Add("/api/experiments", $"{{\"name\":\"n\",\"domain\":\"d\",\"variants\":[{{\"name\":\"a\",\"modelVersion\":{bad}}},{{\"name\":\"b\",\"modelVersion\":\"1\"}}]}}", "variants[0].modelVersion");
            data.Add($"/api/experiments/{Guid.NewGuid()}/stop", $"{{\"reason\":{bad}}}", "reason");
            data.Add($"/api/experiments/{Guid.NewGuid()}/conclude", $"{{\"reason\":{bad}}}", "reason");
            data.Add("/api/alerts/webhooks", $"{{\"url\":{bad}}}", "url");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(StoredStrings))]
    public async Task A_nul_or_a_lone_surrogate_in_a_stored_string_is_refused_naming_the_field(string path, string body, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, path, Json(body), field, Ct));
    }

    [Theory]
    [InlineData("/api/experiments?domain=a%00b", "domain")]
    [InlineData("/api/alerts?domain=%00", "domain")]
    [InlineData("/api/metrics?domain=x%00y", "domain")]
    public async Task A_nul_in_a_query_parameter_is_refused_naming_it(string path, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Get, path, null, field, Ct));
    }

    public static TheoryData<string, string> Ranges() => new()
    {
        { "\"minimumDetectableEffect\":1.5", "minimumDetectableEffect" },
        { "\"minimumDetectableEffect\":1e-320", "minimumDetectableEffect" },
        { "\"minimumDetectableEffect\":0.0009", "minimumDetectableEffect" },
        { "\"minimumDetectableEffect\":0", "minimumDetectableEffect" },
        { "\"alpha\":1e-320", "alpha" },
        { "\"alpha\":0.5", "alpha" },
        { "\"alpha\":1e400", "alpha" },
        { "\"alpha\":\"NaN\"", "alpha" },
        { "\"power\":\"Infinity\"", "power" },
        { "\"minSamples\":18446744073709551617", "minSamples" },
        { "\"minDurationSeconds\":1e30", "minDurationSeconds" },
        { "\"guardrailMetrics\":[{\"metric\":\"latency_ms\",\"maxRelativeDegradation\":\"-Infinity\"}]", "guardrailMetrics[0].maxRelativeDegradation" },
        { "\"name\":\"tab\\tname\"", "name" },
        { "\"domain\":\"line\\nbreak\"", "domain" },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task A_design_outside_the_documented_ranges_is_refused(string fields, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/experiments", Json(Design(fields)), field, Ct));
    }

    [Fact]
    public async Task The_edges_of_the_documented_ranges_are_accepted()
    {
        var response = await factory.CreateClient().PostAsync("/api/experiments",
            Json(Design("\"minimumDetectableEffect\":0.001,\"alpha\":0.000001")), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        response = await factory.CreateClient().PostAsync("/api/experiments", Json(Design("\"minimumDetectableEffect\":1,\"alpha\":0.49")), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Action_endpoints_refuse_bodies_they_cannot_take_and_nothing_changes()
    {
        var client = factory.CreateClient();
        var created = await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "actions", domain = ExperimentsApiTests.NewDomain(),
            variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "b", modelVersion = "1.1.0" } },
        }, Ct);
        var id = created.GetProperty("id").GetString();

        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/experiments/{id}/start", Json("{\"force\":"), "body", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/experiments/{id}/start", Json("{}"), "body", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, "/api/alerts/monitoring/stop", Json("{\"paused\":true}"), "body", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, "/api/alerts/monitoring/start", Json("garbage"), "body", Ct));
        Assert.Equal("draft", (await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/experiments/{id}", Ct)).GetProperty("status").GetString());

        byte[] invalidUtf8 = [.. "{\"reason\":\"x"u8, 0xC3, 0x28, .. "\"}"u8];
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{id}/start", null, Ct)).StatusCode);
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/experiments/{id}/stop", JsonBytes(invalidUtf8), "body", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/experiments/{id}/stop", Json("{\"reason\":"), "reason", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Put, $"/api/experiments/{id}/weights", Json("{\"weights\":{\"control\":1e308,\"b\":1e308}}"), "weights", Ct));
        Assert.Equal("running", (await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/experiments/{id}", Ct)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/experiments/{id}/stop", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_status_filter_matches_whatever_the_spelling_and_an_unknown_one_is_refused()
    {
        var client = factory.CreateClient();
        var spelled = await client.GetAsync("/api/experiments?status=RolledBack", Ct);
        Assert.Equal(HttpStatusCode.OK, spelled.StatusCode);
        Assert.Equal(await (await client.GetAsync("/api/experiments?status=rolled_back", Ct)).Content.ReadAsStringAsync(Ct), await spelled.Content.ReadAsStringAsync(Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/experiments?status=exploded", null, "status", Ct));
    }

    private static void Refused(string? failure) => Assert.True(failure is null, failure);
}
