using CsCheck;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Inference.Tests;

/// <summary>Bodies generated from inference's own OpenAPI document into every POST, PUT and PATCH (<see cref="OpenApiFuzz"/>), against the tiny model.</summary>
public sealed class OpenApiFuzzTests(InferenceFactory factory) : IClassFixture<InferenceFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_write_operation_keeps_to_its_documented_schema()
    {
        var client = await factory.ReadyClientAsync();
        var report = await OpenApiFuzz.RunAsync(client, new FuzzOptions
        {
            RequestsPerOperation = 100,
            PathValues = new Dictionary<string, Gen<string>> { ["id"] = Gen.Const(InferenceFactory.ModelId), ["model"] = Gen.Const(InferenceFactory.ModelId) },
            PropertyValues = new Dictionary<string, Gen<string>>
            {
                ["model"] = Gen.Const($"\"{InferenceFactory.ModelId}\""),
                // Short answers keep a few hundred generations to seconds; the schema's own range still comes up now and then.
                ["max_tokens"] = Gen.Int[1, 8].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ["max_completion_tokens"] = Gen.Int[1, 8].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ["messages"] = Gen.Const("[{\"role\":\"user\",\"content\":\"Say hello.\"}]"),
                ["prompt"] = Gen.OneOf("\"Once upon a time\"", "[\"Once upon a time\"]"),
                ["input"] = Gen.OneOf("\"hello\"", "[\"hello\",\"world\"]", "[1,2,3]"),
            },
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(report.Summary("inference"));
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary("inference"));
    }
}

/// <summary>What the fuzz found: the OpenAI handlers read their bodies with options of their own, which lacked the platform's input rule.</summary>
public sealed class OpenAiBodyRulesTests(InferenceFactory factory) : IClassFixture<InferenceFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/v1/completions", """{"model":"tiny","prompt":"x\udc00y","max_tokens":1}""", "prompt")]
    [InlineData("/v1/completions", """{"model":"tiny","prompt":["a\u0000b"],"max_tokens":1}""", "prompt[0]")]
    [InlineData("/v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"\ud800"}],"max_tokens":1}""", "messages[0].content")]
    [InlineData("/v1/embeddings", """{"model":"tiny","input":["ok","\udc00"]}""", "input[1]")]
    public async Task Text_no_field_may_hold_is_a_400_in_openais_shape_naming_the_field(string path, string body, string field)
    {
        var client = await factory.ReadyClientAsync();
        Assert.Null(await ProblemAssertions.FieldRefusedAsync(client, HttpMethod.Post, path, ProblemAssertions.Json(body), field, Ct));
    }
}
