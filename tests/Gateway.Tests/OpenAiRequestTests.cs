using System.Text;
using System.Text.Json;
using DomainPlatform.Gateway.Inference;

namespace DomainPlatform.Gateway.Tests;

public sealed class OpenAiRequestTests
{
    private static OpenAiRequest Parse(string json)
    {
        Assert.True(OpenAiRequest.TryParse(Encoding.UTF8.GetBytes(json), out var request, out var error), error?.Message);
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
        Assert.Contains(reason, error!.Message);
    }

    [Theory]
    [InlineData("""{"model":"m"}""", OpenAiEndpoint.ChatCompletions, "messages", "missing_required_parameter")]
    [InlineData("""{"model":"m","messages":[]}""", OpenAiEndpoint.ChatCompletions, "messages", "invalid_type")]
    [InlineData("""{"model":"m","messages":[{"content":"hi"}]}""", OpenAiEndpoint.ChatCompletions, "messages[0].role", "invalid_type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":7}]}""", OpenAiEndpoint.ChatCompletions, "messages[0].content", "invalid_type")]
    [InlineData("""{"model":"m"}""", OpenAiEndpoint.Completions, "prompt", "missing_required_parameter")]
    [InlineData("""{"model":"m","prompt":{}}""", OpenAiEndpoint.Completions, "prompt", "invalid_type")]
    [InlineData("""{"model":"m","input":5}""", OpenAiEndpoint.Embeddings, "input", "invalid_type")]
    [InlineData("""{"model":"m","max_tokens":0}""", OpenAiEndpoint.Any, "max_tokens", "out_of_range")]
    [InlineData("""{"model":"m","max_tokens":-5}""", OpenAiEndpoint.Any, "max_tokens", "out_of_range")]
    [InlineData("""{"model":"m","max_tokens":99999999999}""", OpenAiEndpoint.Any, "max_tokens", "out_of_range")]
    [InlineData("""{"model":"m","max_tokens":2.5}""", OpenAiEndpoint.Any, "max_tokens", "invalid_type")]
    [InlineData("""{"model":"m","max_tokens":"5"}""", OpenAiEndpoint.Any, "max_tokens", "invalid_type")]
    [InlineData("""{"model":"m","max_completion_tokens":0}""", OpenAiEndpoint.Any, "max_completion_tokens", "out_of_range")]
    [InlineData("""{"model":"m","temperature":2.5}""", OpenAiEndpoint.Any, "temperature", "out_of_range")]
    [InlineData("""{"model":"m","temperature":-0.1}""", OpenAiEndpoint.Any, "temperature", "out_of_range")]
    [InlineData("""{"model":"m","temperature":"0"}""", OpenAiEndpoint.Any, "temperature", "invalid_type")]
    [InlineData("""{"model":"m","top_p":1.5}""", OpenAiEndpoint.Any, "top_p", "out_of_range")]
    [InlineData("""{"model":"m","presence_penalty":3}""", OpenAiEndpoint.Any, "presence_penalty", "out_of_range")]
    [InlineData("""{"model":"m","n":0}""", OpenAiEndpoint.Any, "n", "out_of_range")]
    [InlineData("""{"model":"m","stream":"yes"}""", OpenAiEndpoint.Any, "stream", "invalid_type")]
    [InlineData("""{"model":"m","user":5}""", OpenAiEndpoint.Any, "user", "invalid_type")]
    [InlineData("""{"model":"m","stop":["a","b","c","d","e"]}""", OpenAiEndpoint.Any, "stop", "invalid_type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\ud800"}]}""", OpenAiEndpoint.ChatCompletions, "messages[0].content", "invalid_string")]
    [InlineData("""{"model":"m","prompt":"ok","\udc00x":1}""", OpenAiEndpoint.Completions, null, "invalid_string")]
    [InlineData("""{"model":"\ud800"}""", OpenAiEndpoint.Any, "model", "invalid_string")]
    public void Out_of_range_and_mistyped_parameters_are_refused_naming_the_parameter(string json, OpenAiEndpoint endpoint, string? param, string code)
    {
        Assert.False(OpenAiRequest.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error, endpoint));
        Assert.Equal((param, code), (error!.Param, error.Code));
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\ud83d\ude00"}],"max_tokens":null,"temperature":2,"top_p":0,"n":1,"seed":-3,"stop":"x"}""", OpenAiEndpoint.ChatCompletions)]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"a"}]}]}""", OpenAiEndpoint.ChatCompletions)]
    [InlineData("""{"model":"m","prompt":["a","b"],"max_tokens":2147483647}""", OpenAiEndpoint.Completions)]
    [InlineData("""{"model":"m","input":["a"]}""", OpenAiEndpoint.Embeddings)]
    public void Valid_bodies_pass(string json, OpenAiEndpoint endpoint) =>
        Assert.True(OpenAiRequest.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error, endpoint), error?.Message);

    [Theory]
    [InlineData("""{"model":"m","prompt":"p"}""", 64, 64, "max_tokens")]
    [InlineData("""{"model":"m","prompt":"p","max_tokens":null}""", 64, 64, "max_tokens")]
    [InlineData("""{"model":"m","prompt":"p","max_tokens":1000}""", 64, 64, "max_tokens")]
    [InlineData("""{"model":"m","prompt":"p","max_tokens":10}""", 64, 10, "max_tokens")]
    [InlineData("""{"model":"m","prompt":"p","max_completion_tokens":500}""", 64, 64, "max_completion_tokens")]
    public void A_domain_cap_defaults_and_lowers_max_tokens(string json, int cap, int expected, string field)
    {
        var (capped, applied) = Parse(json).WithTokenCap(cap, OpenAiEndpoint.Completions);
        Assert.Equal(expected, applied);
        using var sent = JsonDocument.Parse(capped.WithModel("x"));
        Assert.Equal(expected, sent.RootElement.GetProperty(field).GetInt32());
        Assert.Equal(expected, capped.MaxTokens);
    }

    [Fact]
    public void Without_a_cap_the_body_keeps_its_own_limit()
    {
        var request = Parse("""{"model":"m","prompt":"p"}""");
        var (same, applied) = request.WithTokenCap(null, OpenAiEndpoint.Completions);
        Assert.Null(applied);
        Assert.False(JsonDocument.Parse(same.WithModel("x")).RootElement.TryGetProperty("max_tokens", out _));
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
