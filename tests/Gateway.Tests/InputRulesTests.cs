using System.Net;
using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.ProblemAssertions;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Hostile input on the gateway's own endpoints (/api/keys, /v1/feedback): a clear 400 naming the field, never a 500.</summary>
public sealed class InputRulesTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> StoredStrings()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var bad in HostileStrings)
        {
            data.Add("/api/keys", $"{{\"name\":{bad},\"role\":\"viewer\"}}", "name");
            data.Add("/api/keys", $"{{\"name\":\"n\",\"role\":{bad}}}", "role");
            data.Add("/v1/feedback", $"{{\"requestId\":{bad},\"score\":0.5}}", "requestId");
            data.Add("/v1/feedback", $"{{\"requestId\":\"r1\",\"score\":0.5,\"label\":{bad}}}", "label");
        }
        foreach (var bad in HostileNumbers) data.Add("/v1/feedback", $"{{\"requestId\":\"r1\",\"score\":{bad}}}", "score");
        data.Add("/api/keys", "{\"name\":\"two\\nlines\",\"role\":\"viewer\"}", "name");
        data.Add("/api/keys", "{\"name\":\"\\u001b[2Jadmin\",\"role\":\"viewer\"}", "name");
        data.Add("/v1/feedback", "{\"requestId\":\"r1\",\"score\":null,\"thumbsUp\":null}", "score");
        data.Add("/v1/feedback", "{\"requestId\":\"r1\",\"label\":\"no judgement\"}", "score");
        return data;
    }

    [Theory]
    [MemberData(nameof(StoredStrings))]
    public async Task A_hostile_value_in_a_stored_field_is_refused_naming_the_field(string path, string body, string field)
    {
        var client = factory.CreateClient(factory.AdminKey);
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, path, Json(body), field, Ct));
    }

    [Fact]
    public async Task Invalid_utf8_anywhere_in_a_body_and_a_nul_in_a_query_are_refused()
    {
        var client = factory.CreateClient(factory.AdminKey);
        byte[] body = [.. "{\"requestId\":\"r1\",\"score\":0.5,\"note\":\""u8, 0xFF, .. "\"}"u8];
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, "/v1/feedback", JsonBytes(body), "body", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/keys?includeRevoked=%00", null, "includeRevoked", Ct));
    }

    [Fact]
    public async Task Revoking_takes_no_body_but_authentication_answers_first()
    {
        var path = $"/api/keys/{Guid.NewGuid()}";
        Refused(await FieldRefusedAsync(factory.CreateClient(factory.AdminKey), HttpMethod.Delete, path, Json("{\"really\":true}"), "body", Ct));

        using var anonymous = new HttpRequestMessage(HttpMethod.Delete, path) { Content = Json("{\"really\":true}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().SendAsync(anonymous, Ct)).StatusCode);
        using var viewer = new HttpRequestMessage(HttpMethod.Delete, path) { Content = Json("{\"really\":true}") };
        Assert.Equal(HttpStatusCode.Forbidden, (await (await factory.CreateClientAsync("viewer")).SendAsync(viewer, Ct)).StatusCode);
    }

    private static void Refused(string? failure) => Assert.True(failure is null, failure);
}
