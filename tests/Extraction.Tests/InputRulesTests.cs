using System.Net;
using System.Net.Http.Json;
using DomainPlatform.TestSupport;
using static DomainPlatform.TestSupport.ProblemAssertions;

namespace DomainPlatform.Extraction.Tests;

/// <summary>Hostile input on extraction's API: a clear 400 naming the field, never a 500 from Postgres or an unlimited budget.</summary>
public sealed class InputRulesTests(ExtractionFactory factory) : IClassFixture<ExtractionFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}";

    public static TheoryData<string, string, string, string> StoredStrings()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var bad in HostileStrings)
        {
            data.Add("POST", "/api/sources", $"{{\"name\":{bad},\"kind\":\"document\",\"text\":\"t\"}}", "name");
            data.Add("POST", "/api/sources", $"{{\"name\":\"n\",\"kind\":\"document\",\"text\":{bad}}}", "text");
            data.Add("POST", "/api/sources", $"{{\"name\":\"n\",\"kind\":\"sql\",\"query\":{bad}}}", "query");
            data.Add("POST", "/api/sources", $"{{\"name\":\"n\",\"kind\":\"document\",\"text\":\"t\",\"description\":{bad}}}", "description");
            data.Add("POST", "/api/sources", $"{{\"name\":\"n\",\"kind\":\"table\",\"rows\":[{{\"customer\":{bad}}}]}}", "rows");
            data.Add("POST", "/api/sources", $"{{\"name\":\"n\",\"kind\":\"table\",\"rows\":[{{{bad}:1}}]}}", "rows");
            data.Add("POST", "/api/sources", $"{{\"name\":\"n\",\"kind\":\"table\",\"rows\":[{{\"a\":[1,{{\"b\":{bad}}}]}}]}}", "rows");
            data.Add("POST", "/api/datasets", $"{{\"domain\":\"d\",\"name\":{bad}}}", "name");
            data.Add("POST", "/api/extraction/profiles", $"{{\"domain\":\"d\",\"keywords\":[\"sql\",{bad}]}}", "keywords[1]");
            data.Add("POST", "/api/extraction/detect", $"{{\"text\":{bad}}}", "text");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(StoredStrings))]
    public async Task A_nul_or_a_lone_surrogate_in_a_stored_string_is_refused_naming_the_field(string method, string path, string body, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), new HttpMethod(method), path, Json(body), field, Ct));
    }

    [Theory]
    [InlineData("/api/sources?domain=a%00b", "domain")]
    [InlineData("/api/datasets?status=%00", "status")]
    public async Task A_nul_in_a_query_parameter_is_refused_naming_it(string path, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Get, path, null, field, Ct));
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e999999")]
    public async Task A_number_beyond_double_inside_table_rows_is_refused(string number)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/sources",
            Json($"{{\"name\":\"n\",\"kind\":\"table\",\"rows\":[{{\"amount\":{number}}}]}}"), "rows", Ct));
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("100.001")]
    [InlineData("1e-320")]
    [InlineData("0.0009")]
    [InlineData("1e400")]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("-1")]
    public async Task A_privacy_budget_outside_its_documented_range_is_refused(string total)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Put, $"/api/privacy/budgets/{Unique("d")[..20]}",
            Json($"{{\"totalEpsilon\":{total}}}"), "totalEpsilon", Ct));
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("1e-320")]
    [InlineData("\"-Infinity\"")]
    public async Task A_datasets_epsilon_outside_its_documented_range_is_refused(string epsilon)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/datasets",
            Json($"{{\"domain\":\"d\",\"name\":\"n\",\"epsilon\":{epsilon}}}"), "epsilon", Ct));
    }

    [Fact]
    public async Task The_edges_of_the_budget_range_are_accepted()
    {
        var client = factory.CreateClient();
        var domain = Unique("edge")[..20];
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/api/privacy/budgets/{domain}", new { totalEpsilon = 100 }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/api/privacy/budgets/{domain}", new { totalEpsilon = 0.001 }, Ct)).StatusCode);
    }

    [Theory]
    [InlineData("{\"name\":\"tab\\there\",\"kind\":\"document\",\"text\":\"t\"}", "name")]
    [InlineData("{\"name\":\"   \",\"kind\":\"document\",\"text\":\"t\"}", "name")]
    public async Task Control_characters_and_blank_names_are_refused(string body, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/sources", Json(body), field, Ct));
    }

    [Fact]
    public async Task A_body_is_refused_where_none_is_taken_and_invalid_utf8_anywhere_in_a_body()
    {
        var client = factory.CreateClient();
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/sources", Json("{}"), "body", Ct));
        byte[] invalid = [.. "{\"name\":\"n\",\"kind\":\"document\",\"text\":\"t\",\"extra\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8];
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, "/api/sources", JsonBytes(invalid), "body", Ct));
    }

    [Fact]
    public async Task A_status_filter_matches_whatever_the_case_and_an_unknown_one_is_refused()
    {
        var client = factory.CreateClient();
        var domain = Unique("filter")[..20];
        var exact = await client.GetStringAsync($"/api/datasets?domain={domain}&status=refused", Ct);
        Assert.Equal(exact, await client.GetStringAsync($"/api/datasets?domain={domain}&status=REFUSED", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/datasets?status=exploded", null, "status", Ct));
    }

    private static void Refused(string? failure) => Assert.True(failure is null, failure);
}
