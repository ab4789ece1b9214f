using System.Text;
using System.Text.Json;
using DomainPlatform.Gateway.Inference;

namespace DomainPlatform.Gateway.Tests;

public sealed class OpenAiRequestTests
{
    private static OpenAiRequest Parse(string json)
    {
        Assert.True(OpenAiRequest.TryParse(Encoding.UTF8.GetBytes(json), out var request, out var error), error);
        return request!;
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "JSON object")]
    [InlineData("{}", "'model' is required")]
    [InlineData("{\"model\":\"\"}", "'model' is required")]
    [InlineData("{\"model\":42}", "'model' is required")]
    public void Bad_bodies_are_refused_with_a_reason(string json, string reason)
    {
        Assert.False(OpenAiRequest.TryParse(Encoding.UTF8.GetBytes(json), out var request, out var error));
        Assert.Null(request);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Reads_model_user_and_the_user_text_of_a_chat()
    {
        var request = Parse("""
            {"model":"sql","user":"u7","messages":[
              {"role":"system","content":"you are terse"},
              {"role":"user","content":"count rows"},
              {"role":"assistant","content":"ok"},
              {"role":"user","content":[{"type":"text","text":"in table orders"}]}]}
            """);
        Assert.Equal(("sql", "u7"), (request.Model, request.User));
        Assert.Equal("count rows\nin table orders\n", request.PromptText);
    }

    [Fact]
    public void Reads_the_prompt_of_a_completion_as_string_or_list()
    {
        Assert.Equal("a\n", Parse("""{"model":"m","prompt":"a"}""").PromptText);
        Assert.Equal("a\nb\n", Parse("""{"model":"m","prompt":["a","b"]}""").PromptText);
    }

    [Theory]
    [InlineData("""{"model":"m","temperature":0}""", true)]
    [InlineData("""{"model":"m","temperature":0.0,"stream":false}""", true)]
    [InlineData("""{"model":"m","seed":7,"temperature":0.8}""", true)]
    [InlineData("""{"model":"m","temperature":0.7}""", false)]
    [InlineData("""{"model":"m"}""", false)]
    [InlineData("""{"model":"m","temperature":0,"stream":true}""", false)]
    [InlineData("""{"model":"m","temperature":"0"}""", false)]
    public void Only_temperature_zero_or_a_fixed_seed_without_streaming_is_deterministic(string json, bool deterministic) =>
        Assert.Equal(deterministic, Parse(json).IsDeterministic);

    [Fact]
    public void WithModel_replaces_only_the_model()
    {
        var request = Parse("""{"model":"sql","messages":[{"role":"user","content":"hi"}],"max_tokens":5}""");
        using var rewritten = JsonDocument.Parse(request.WithModel("0x1@1.2.0"));
        Assert.Equal("0x1@1.2.0", rewritten.RootElement.GetProperty("model").GetString());
        Assert.Equal(5, rewritten.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal("sql", request.Model);
    }

    [Fact]
    public void Canonical_form_ignores_key_order_model_and_user()
    {
        var a = Parse("""{"model":"sql","user":"a","temperature":0,"messages":[{"role":"user","content":"hi"}]}""");
        var b = Parse("""{"messages":[{"content":"hi","role":"user"}],"temperature":0,"model":"auto","user":"b"}""");
        var c = Parse("""{"messages":[{"content":"hi!","role":"user"}],"temperature":0,"model":"auto"}""");
        Assert.Equal(a.CanonicalWithoutModel(), b.CanonicalWithoutModel());
        Assert.NotEqual(a.CanonicalWithoutModel(), c.CanonicalWithoutModel());
    }
}
