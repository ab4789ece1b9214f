using System.Text.Json;
using DomainPlatform.Inference.Domain;

namespace DomainPlatform.Inference.Tests;

public sealed class OpenAiRequestRulesTests
{
    private static ChatCompletionRequest Chat(string json) => JsonSerializer.Deserialize<ChatCompletionRequest>(json)!;
    private static CompletionRequest Completion(string json) => JsonSerializer.Deserialize<CompletionRequest>(json)!;

    [Fact]
    public void A_minimal_chat_request_gets_openai_defaults()
    {
        var result = OpenAiRequestRules.Validate(Chat("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        var spec = Assert.IsType<GenerationSpec>(result.Spec);
        Assert.Null(result.Error);
        Assert.Equal("m", spec.Model);
        Assert.Equal("user", Assert.Single(spec.Messages!).Role);
        Assert.Equal(1f, spec.Sampling.Temperature);
        Assert.Equal(1f, spec.Sampling.TopP);
        Assert.Equal(0, spec.Sampling.TopK);
        Assert.Equal(0f, spec.Sampling.MinP);
        Assert.Null(spec.Sampling.Seed);
        Assert.Null(spec.MaxTokens);
        Assert.Empty(spec.Stop);
        Assert.False(spec.Stream);
        Assert.Null(spec.Prompt);
    }

    [Fact]
    public void Every_sampling_field_is_carried_over()
    {
        var spec = OpenAiRequestRules.Validate(Chat("""
            {"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
             "max_tokens":7,"temperature":0,"top_p":0.5,"top_k":3,"min_p":0.1,"presence_penalty":0.5,"frequency_penalty":-0.5,
             "repeat_penalty":1.1,"seed":42,"stop":["x","y"],"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true,"n":1}
            """)).Spec!;
        Assert.Equal("ab", spec.Messages![1].Content);
        Assert.Equal(7, spec.MaxTokens);
        Assert.True(spec.Sampling.IsGreedy);
        Assert.Equal(0.5f, spec.Sampling.TopP);
        Assert.Equal(3, spec.Sampling.TopK);
        Assert.Equal(0.1f, spec.Sampling.MinP);
        Assert.Equal(0.5f, spec.Sampling.PresencePenalty);
        Assert.Equal(-0.5f, spec.Sampling.FrequencyPenalty);
        Assert.Equal(1.1f, spec.Sampling.RepeatPenalty);
        Assert.Equal(42u, spec.Sampling.Seed);
        Assert.Equal(["x", "y"], spec.Stop);
        Assert.True(spec.Stream);
        Assert.True(spec.IncludeUsage);
        Assert.True(spec.IgnoreEos);
    }

    [Fact]
    public void Max_completion_tokens_counts_like_max_tokens()
    {
        Assert.Equal(9, OpenAiRequestRules.Validate(Chat("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":9}""")).Spec!.MaxTokens);
        var clash = OpenAiRequestRules.Validate(Chat("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":3,"max_completion_tokens":9}"""));
        Assert.Equal("max_completion_tokens", clash.Error!.Error.Param);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":" ","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    [InlineData("""{"model":"m","messages":[null]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user"}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":42}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"x"}]}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":2.5}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":-0.1}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"top_p":0}""", "top_p")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"top_p":1.5}""", "top_p")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"top_k":-1}""", "top_k")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"min_p":2}""", "min_p")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"presence_penalty":3}""", "presence_penalty")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"frequency_penalty":-3}""", "frequency_penalty")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"repeat_penalty":0}""", "repeat_penalty")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":-1}""", "seed")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":5000000000}""", "seed")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":""}""", "stop")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}""", "stop")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["a",""]}""", "stop")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":[1]}""", "stop")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":{"a":1}}""", "stop")]
    public void Bad_chat_requests_name_the_parameter(string json, string param)
    {
        var result = OpenAiRequestRules.Validate(Chat(json));
        Assert.Null(result.Spec);
        Assert.Equal(param, result.Error!.Error.Param);
        Assert.Equal("invalid_request_error", result.Error.Error.Type);
        Assert.Equal(400, result.Error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Error.Message));
    }

    [Theory]
    [InlineData("""{"model":"m","prompt":"Once"}""", "Once")]
    [InlineData("""{"model":"m","prompt":["Once"]}""", "Once")]
    [InlineData("""{"model":"m","prompt":""}""", "")]
    public void Completion_prompts_are_a_string_or_one_string_in_an_array(string json, string prompt)
    {
        var spec = OpenAiRequestRules.Validate(Completion(json)).Spec!;
        Assert.Equal(prompt, spec.Prompt);
        Assert.Null(spec.Messages);
    }

    [Theory]
    [InlineData("""{"model":"m"}""")]
    [InlineData("""{"model":"m","prompt":["a","b"]}""")]
    [InlineData("""{"model":"m","prompt":[1,2,3]}""")]
    [InlineData("""{"model":"m","prompt":null}""")]
    public void Other_prompts_are_refused(string json) =>
        Assert.Equal("prompt", OpenAiRequestRules.Validate(Completion(json)).Error!.Error.Param);

    [Fact]
    public void A_single_stop_string_and_null_stop_are_accepted()
    {
        Assert.Equal(["\n"], OpenAiRequestRules.Validate(Completion("""{"model":"m","prompt":"a","stop":"\n"}""")).Spec!.Stop);
        Assert.Empty(OpenAiRequestRules.Validate(Completion("""{"model":"m","prompt":"a","stop":null}""")).Spec!.Stop);
    }

    [Fact]
    public void Usage_chunks_are_only_for_streams()
    {
        var spec = OpenAiRequestRules.Validate(Completion("""{"model":"m","prompt":"a","stream_options":{"include_usage":true}}""")).Spec!;
        Assert.False(spec.IncludeUsage);
    }

    [Fact]
    public void Error_bodies_serialize_in_openai_shape()
    {
        var json = JsonSerializer.Serialize(OpenAiError.InvalidRequest("bad", "top_p", "x"));
        Assert.Equal("""{"error":{"message":"bad","type":"invalid_request_error","param":"top_p","code":"x"}}""", json);
    }

    [Fact]
    public void Responses_serialize_with_openai_field_names()
    {
        var json = JsonSerializer.Serialize(new ChatCompletion("id1", 5, "m",
            [new ChatChoice(0, new ChatMessageOutput("assistant", "hi"), "stop")], new Usage(3, 4)));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("stop", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("hi", root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(7, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var chunk = JsonSerializer.Serialize(new ChatCompletionChunk("id1", 5, "m", [new ChatChunkChoice(0, new ChatDelta(null, "x"), null)], null));
        Assert.Contains("\"object\":\"chat.completion.chunk\"", chunk);
        Assert.Contains("\"delta\":{\"content\":\"x\"}", chunk);
        Assert.Contains("\"finish_reason\":null", chunk);
        Assert.DoesNotContain("usage", chunk);

        var list = JsonSerializer.Serialize(new ModelList([new ModelCard("tiny", 1, "o")]));
        Assert.Equal("""{"data":[{"id":"tiny","created":1,"owned_by":"o","object":"model"}],"object":"list"}""", list);
    }
}
