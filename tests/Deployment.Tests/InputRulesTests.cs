using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using DomainPlatform.LlamaCpp.Gguf;
using DomainPlatform.TestSupport;
using static DomainPlatform.Deployment.Tests.TestApi;
using static DomainPlatform.TestSupport.ProblemAssertions;

namespace DomainPlatform.Deployment.Tests;

/// <summary>Hostile input on every stored field: a clear 400 naming the field, never a 500 from Postgres or a TimeSpan.</summary>
public sealed class InputRulesTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    public static TheoryData<string, string, string, string> StoredStrings()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var bad in HostileStrings)
        {
            data.Add("POST", "/api/domains", $"{{\"id\":\"0x1-a\",\"name\":{bad}}}", "name");
            data.Add("POST", "/api/domains", $"{{\"id\":\"0x1-a\",\"name\":\"n\",\"keywords\":[\"sql\",{bad}]}}", "keywords[1]");
            data.Add("PATCH", "/api/domains/0x1-a", $"{{\"team\":{bad}}}", "team");
            data.Add("POST", "/api/models/0x1-a/versions", $"{{\"tags\":[{bad}]}}", "tags[0]");
            data.Add("POST", "/api/models/0x1-a/versions", $"{{\"metrics\":{{{bad}:1}}}}", "metrics");
            data.Add("PUT", "/api/models/0x1-a/versions/1.0.0/tags", $"{{\"tags\":[\"ok\",{bad}]}}", "tags[1]");
            data.Add("PUT", "/api/models/0x1-a/aliases/champion", $"{{\"version\":{bad}}}", "version");
            data.Add("POST", "/api/rollouts", $"{{\"domain\":{bad},\"version\":\"1.0.0\"}}", "domain");
            data.Add("POST", "/api/deployments/0x1-a/rollback", $"{{\"version\":\"1.0.0\",\"reason\":{bad}}}", "reason");
            data.Add("POST", $"/api/rollouts/{Guid.NewGuid()}/abort", $"{{\"reason\":{bad}}}", "reason");
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
    [InlineData("/api/rollouts?domain=a%00b", "domain")]
    [InlineData("/api/audit?actor=%00", "actor")]
    [InlineData("/api/deployments/automatic?domain=x%00", "domain")]
    public async Task A_nul_in_a_route_value_or_query_parameter_is_refused_naming_it(string path, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Get, path, null, field, Ct));
    }

    public static TheoryData<string> MinStepSeconds()
    {
        var data = new TheoryData<string>();
        foreach (var value in new[] { "1e30", "1e308", "-1e308", "18446744073709551617", "-1", "604801" }.Concat(HostileNumbers)) data.Add(value);
        return data;
    }

    [Theory]
    [MemberData(nameof(MinStepSeconds))]
    public async Task A_min_step_duration_outside_its_range_is_refused_not_overflowed(string value)
    {
        var domain = await CreateDomainAsync(factory.CreateClient());
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/rollouts",
            Json($"{{\"domain\":\"{domain}\",\"version\":\"1.1.0\",\"minStepSeconds\":{value}}}"), "minStepSeconds", Ct));
    }

    [Theory]
    [InlineData("{\"steps\":[1,\"NaN\",100]}", "steps[1]")]
    [InlineData("{\"minSamples\":18446744073709551617}", "minSamples")]
    [InlineData("{\"minSamples\":1e400}", "minSamples")]
    public async Task Other_rollout_numbers_outside_their_type_are_refused(string body, string field)
    {
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/rollouts", Json(body), field, Ct));
    }

    [Theory]
    [InlineData("{\"gates\":{\"minAccuracy\":\"NaN\"}}", "gates.minAccuracy")]
    [InlineData("{\"gates\":{\"maxLatencyMs\":1e400}}", "gates.maxLatencyMs")]
    [InlineData("{\"maxTokens\":4294967297}", "maxTokens")]
    [InlineData("{\"rollback\":{\"maxLatencyRatio\":\"Infinity\"}}", "rollback.maxLatencyRatio")]
    public async Task Domain_numbers_outside_their_type_are_refused(string patch, string field)
    {
        var domain = await CreateDomainAsync(factory.CreateClient());
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Patch, $"/api/domains/{domain}", Json(patch), field, Ct));
    }

    [Theory]
    [InlineData("{\"name\":\"bell\\u0007\"}", "name")]
    [InlineData("{\"name\":\"two\\nlines\"}", "name")]
    [InlineData("{\"name\":\"   \"}", "name")]
    [InlineData("{\"agentId\":\"\"}", "agentId")]
    [InlineData("{\"agentId\":\" \\t \"}", "agentId")]
    [InlineData("{\"agentId\":\"agent\\u001b[31m\"}", "agentId")]
    [InlineData("{\"baseModel\":\"\"}", "baseModel")]
    [InlineData("{\"baseModel\":\"llama\\u0000\"}", "baseModel")]
    [InlineData("{\"baseModel\":\"tab\\tmodel\"}", "baseModel")]
    [InlineData("{\"layer\":\"\"}", "layer")]
    public async Task Control_characters_and_blank_text_are_refused_as_a_domains_labels(string patch, string field)
    {
        var domain = await CreateDomainAsync(factory.CreateClient());
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Patch, $"/api/domains/{domain}", Json(patch), field, Ct));
        var create = field == "name" ? $"{{\"id\":\"{NewDomainId()}\",{patch[1..]}" : $"{{\"id\":\"{NewDomainId()}\",\"name\":\"n\",{patch[1..]}";
        Refused(await FieldRefusedAsync(factory.CreateClient(), HttpMethod.Post, "/api/domains", Json(create), field, Ct));
    }

    [Fact]
    public async Task Action_bodies_that_cannot_be_read_are_refused()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        await DeployStableAsync(client, domain, "1.0.0");
        var rollout = await StartRolloutAsync(client, domain, "1.1.0");

        // Invalid UTF-8, malformed JSON and a body of the wrong shape: 400, and the rollout did not move.
        byte[] invalidUtf8 = [.. "{\"reason\":\""u8, 0xFF, 0xFE, 0xC3, .. "\"}"u8];
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/rollouts/{rollout}/promote", JsonBytes(invalidUtf8), "body", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/rollouts/{rollout}/promote", JsonBytes([0xFF, 0xFE, 0x00]), "body", Ct));
        byte[] unknownInvalid = [.. "{\"note\":\""u8, 0xFF, .. "\"}"u8];
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/rollouts/{rollout}/promote", JsonBytes(unknownInvalid), "body", Ct));
        // A body that says nothing of its type is read as JSON; one that says it is something else is a 415.
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/rollouts/{rollout}/promote", new ByteArrayContent([0xFF, 0xFE]), "body", Ct));
        var plain = await client.PostAsync($"/api/rollouts/{rollout}/promote", new StringContent("promote", Encoding.UTF8, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/rollouts/{rollout}/pause", Json("{\"reason\":"), "reason", Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Post, $"/api/rollouts/{rollout}/promote", Json("[1,2]"), "body", Ct));
        var after = await GetJsonAsync(client, $"/api/rollouts/{rollout}");
        Assert.Equal(0, after.GetProperty("stepIndex").GetInt32());
        Assert.Equal("running", after.GetProperty("status").GetString());

        // A body where none is taken.
        Refused(await FieldRefusedAsync(client, HttpMethod.Delete, $"/api/domains/{domain}?force=true", Json("{}"), "body", Ct));
        // Without a body (or an empty one) the action works.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/rollouts/{rollout}/promote", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/rollouts/{rollout}/abort", Json("{\"reason\":\"test over\"}"), Ct)).StatusCode);
    }

    public static TheoryData<string, string> CorruptedModels() => new()
    {
        { "truncated", "not a valid GGUF file" },
        { "tensor offset past the end", "not a valid GGUF file" },
        { "random bytes", "not a valid GGUF file" },
        { "text file", "not a valid GGUF file" },
        { "no vocabulary", "cannot be loaded" },
    };

    [Theory]
    [MemberData(nameof(CorruptedModels))]
    public async Task A_corrupted_model_file_is_refused_at_registration_with_the_validators_reason(string corruption, string reason)
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        var (path, sha) = ArtifactOf(Corrupt(corruption));

        var response = await client.PostAsJsonAsync($"/api/models/{domain}/versions",
            new { version = "1.0.0", artifactPath = path, artifactSha256 = sha, metrics = GoodMetrics }, Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains(reason, text);
        Assert.Contains(path, text);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/models/{domain}/versions/1.0.0", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_deploy_inference_refuses_for_a_bad_file_is_422_not_502()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        var version = await RegisterOkAsync(client, domain, "1.0.0");
        factory.Remotes.RefuseAsInvalid[version.GetProperty("modelId").GetString()!] = "'x.gguf' cannot be loaded: Tensor 'token_embd.weight' is missing.";

        var response = await client.PostAsJsonAsync($"/api/deployments/{domain}/stable", new { version = "1.0.0" }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "Tensor 'token_embd.weight' is missing.");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/deployments/{domain}", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_still_types_the_checked_strings_and_numbers()
    {
        var document = await factory.CreateClient().GetFromJsonAsync<System.Text.Json.JsonElement>("/openapi/v1.json", Ct);
        var rollout = document.GetProperty("components").GetProperty("schemas").GetProperty("StartRolloutRequest").GetProperty("properties");

        static string Types(System.Text.Json.JsonElement schema) => schema.GetProperty("type") is { ValueKind: System.Text.Json.JsonValueKind.Array } list
            ? string.Join(",", list.EnumerateArray().Select(t => t.GetString()).Order())
            : schema.GetProperty("type").GetString()!;
        // Required, so null is no value for it either; the optional fields stay nullable.
        Assert.Equal("string", Types(rollout.GetProperty("domain")));
        Assert.Equal("null,number", Types(rollout.GetProperty("minStepSeconds")));
        Assert.Equal("number", rollout.GetProperty("steps").GetProperty("items").GetProperty("type").GetString());
        var register = document.GetProperty("components").GetProperty("schemas").GetProperty("RegisterVersionRequest").GetProperty("properties");
        Assert.Equal("string", register.GetProperty("tags").GetProperty("items").GetProperty("type").GetString());
        Assert.Equal("number", register.GetProperty("metrics").GetProperty("additionalProperties").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_body_taking_endpoint_sent_nothing_says_so_instead_of_not_found()
    {
        // No body and no Content-Type (curl -X POST): the router used to find no endpoint and answer 404.
        using var response = await factory.CreateClient().PostAsync("/api/rollouts", null, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(NotInDocumentedShape("/api/rollouts", response, text));
    }

    [Fact]
    public async Task The_openapi_document_requires_only_what_the_service_refuses_without_and_lists_statuses()
    {
        var schemas = (await factory.CreateClient().GetFromJsonAsync<System.Text.Json.JsonElement>("/openapi/v1.json", Ct)).GetProperty("components").GetProperty("schemas");
        static string[] Required(System.Text.Json.JsonElement schema) =>
            schema.TryGetProperty("required", out var list) ? [.. list.EnumerateArray().Select(r => r.GetString()!).Order()] : [];

        Assert.Equal(["domain", "version"], Required(schemas.GetProperty("StartRolloutRequest")));
        Assert.Equal(["id", "name"], Required(schemas.GetProperty("CreateDomainRequest")));
        Assert.Equal(["artifactPath", "artifactSha256"], Required(schemas.GetProperty("RegisterVersionRequest")));
        Assert.Empty(Required(schemas.GetProperty("DomainPatch")));
        Assert.Empty(Required(schemas.GetProperty("DeploymentGatesPatch")));
        Assert.Empty(Required(schemas.GetProperty("RolloutCommandRequest")));

        Assert.Equal(["running", "paused", "succeeded", "rolled_back", "aborted"],
            schemas.GetProperty("RolloutStatus").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["active", "archived"], schemas.GetProperty("DomainView").GetProperty("properties").GetProperty("status").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task A_rollout_status_is_written_in_the_platforms_one_spelling()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        await RegisterOkAsync(client, domain, "1.0.0");
        await DeployStableAsync(client, domain, "1.0.0");
        await RegisterOkAsync(client, domain, "1.1.0");
        var id = await StartRolloutAsync(client, domain, "1.1.0", minSamples: 1_000_000);
        var aborted = await (await client.PostAsJsonAsync($"/api/rollouts/{id}/abort", new { reason = "spelling" }, Ct)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        Assert.Equal("aborted", aborted.GetProperty("status").GetString());
        var rolledBack = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/rollouts?domain={domain}&status=ABORTED", Ct);
        Assert.Equal([id.ToString()], rolledBack.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        var audit = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/audit?entityType=rollout&entityId={id}&action=abort", Ct);
        Assert.Equal("aborted", audit.EnumerateArray().Single().GetProperty("after").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_status_filter_matches_whatever_the_spelling_and_an_unknown_one_is_refused()
    {
        var client = factory.CreateClient();
        var spelled = await client.GetAsync("/api/rollouts?status=rolled_back", Ct);
        Assert.Equal(HttpStatusCode.OK, spelled.StatusCode);
        Assert.Equal(await (await client.GetAsync("/api/rollouts?status=RolledBack", Ct)).Content.ReadAsStringAsync(Ct), await spelled.Content.ReadAsStringAsync(Ct));
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/rollouts?status=exploded", null, "status", Ct));
    }

    [Fact]
    public async Task A_domain_status_filter_matches_whatever_the_case_and_an_unknown_one_is_refused()
    {
        var client = factory.CreateClient();
        var domain = await CreateDomainAsync(client);
        var active = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/domains?status=ACTIVE", Ct);
        Assert.Contains(domain, active.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Refused(await FieldRefusedAsync(client, HttpMethod.Get, "/api/domains?status=exploded", null, "status", Ct));
    }

    private static void Refused(string? failure) => Assert.True(failure is null, failure);

    /// <summary>A tiny model spoiled in one of the ways a real file gets spoiled.</summary>
    private static byte[] Corrupt(string corruption)
    {
        var model = TinyModelBytes();
        switch (corruption)
        {
            case "truncated":
                return model[..(model.Length / 2)];
            case "tensor offset past the end":
                var name = "token_embd.weight"u8;
                var field = new byte[8 + name.Length];
                BinaryPrimitives.WriteUInt64LittleEndian(field, (ulong)name.Length);
                name.CopyTo(field.AsSpan(8));
                var at = model.AsSpan().LastIndexOf(field) + field.Length;
                var dimensions = (int)BinaryPrimitives.ReadUInt32LittleEndian(model.AsSpan(at));
                BinaryPrimitives.WriteUInt64LittleEndian(model.AsSpan(at + 4 + 8 * dimensions + 4), (ulong)model.Length * 64);
                return model;
            case "random bytes":
                return System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096);
            case "text file":
                return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("This is a README, not a model.\n", 100)));
            default:
                var writer = new GgufWriter();
                writer.Add(GgufConstants.ArchitectureKey, "llama");
                writer.AddTensor("token_embd.weight", GgmlType.F32, [8], new byte[32]);
                using (var stream = new MemoryStream())
                {
                    writer.WriteTo(stream);
                    return stream.ToArray();
                }
        }
    }
}
