using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Tests;

public sealed class TokenizerTests(TinyModelFixture fixture)
{
    private LlamaVocab Vocab => fixture.Model.Vocab;

    [Theory]
    [InlineData("hello world")]
    [InlineData("The model answered the question.")]
    [InlineData("  leading and trailing spaces  ")]
    [InlineData("digits 0123456789, punctuation !?;:'\"()[]{}<>@#$%^&*-_=+/\\|~`")]
    [InlineData("line one\nline two\ttabbed\r\n")]
    [InlineData("x")]
    public void Ascii_text_round_trips(string text)
    {
        var tokens = Vocab.Tokenize(text, addSpecial: false);
        Assert.NotEmpty(tokens);
        Assert.Equal(text, Vocab.Detokenize(tokens));
        Assert.Equal(text, string.Concat(tokens.Select(token => Vocab.TokenToPiece(token))));
    }

    [Fact]
    public void Non_ascii_text_round_trips_through_byte_fallback()
    {
        const string text = "héllo wörld ✓ 日本";
        var tokens = Vocab.Tokenize(text, addSpecial: false);
        Assert.Contains(tokens, token => Vocab.GetText(token).StartsWith("<0x", StringComparison.Ordinal));
        Assert.Equal(text, Vocab.Detokenize(tokens));
    }

    [Fact]
    public void Known_words_become_single_tokens()
    {
        var tokens = Vocab.Tokenize("hello world", addSpecial: false);
        Assert.Equal(["hello", TinyVocabulary.SpaceMarker + "world"], tokens.Select(Vocab.GetText));
    }

    [Fact]
    public void Special_tokens_are_added_and_removed_as_asked()
    {
        var tokens = Vocab.Tokenize("hello", addSpecial: true);
        Assert.True(Vocab.AddsBos);
        Assert.Equal(Vocab.Bos, tokens[0]);
        Assert.Equal(TinyVocabulary.Bos, Vocab.Bos);
        Assert.Equal(TinyVocabulary.Eos, Vocab.Eos);
        Assert.Equal(TinyVocabulary.ImEnd, Vocab.Eot);
        Assert.Equal("hello", Vocab.Detokenize(tokens, removeSpecial: true));
        Assert.True(Vocab.IsEndOfGeneration(Vocab.Eos));
        Assert.True(Vocab.IsEndOfGeneration(Vocab.Eot));
        Assert.False(Vocab.IsEndOfGeneration(tokens[1]));
        Assert.True(Vocab.IsControl(Vocab.Bos));
    }

    [Fact]
    public void Control_token_text_is_parsed_only_when_asked()
    {
        const string text = "<|im_start|>user";
        Assert.Equal(TinyVocabulary.ImStart, Vocab.Tokenize(text, addSpecial: false, parseSpecial: true)[0]);
        Assert.DoesNotContain(TinyVocabulary.ImStart, Vocab.Tokenize(text, addSpecial: false, parseSpecial: false));
        Assert.Equal("<|im_start|>", Vocab.TokenToPiece(TinyVocabulary.ImStart, special: true));
        Assert.Equal("", Vocab.TokenToPiece(TinyVocabulary.ImStart, special: false));
    }

    [Fact]
    public void Long_text_grows_the_token_buffer()
    {
        var text = string.Concat(Enumerable.Repeat("the data model of the domain ", 400));
        var tokens = Vocab.Tokenize(text, addSpecial: false);
        Assert.True(tokens.Length > 1000);
        Assert.Equal(text, Vocab.Detokenize(tokens));
    }

    [Fact]
    public void Out_of_range_tokens_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocab.GetText(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocab.TokenToPiece(Vocab.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocab.Detokenize([1, Vocab.Count + 5]));
        Assert.False(Vocab.IsEndOfGeneration(-3));
    }

    [Fact]
    public void Chat_template_from_the_gguf_formats_a_conversation()
    {
        Assert.Equal(TinyModelGenerator.ChatTemplate, fixture.Model.ChatTemplate);
        var prompt = fixture.Model.ApplyChatTemplate([new("system", "Be brief."), new("user", "Hi")]);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt);
        var tokens = Vocab.Tokenize(prompt, addSpecial: true, parseSpecial: true);
        Assert.Equal(3, tokens.Count(token => token == TinyVocabulary.ImStart));
        Assert.Equal(2, tokens.Count(token => token == TinyVocabulary.ImEnd));
    }

    [Fact]
    public void Model_without_a_chat_template_falls_back_to_chatml()
    {
        var path = fixture.NewPath("no-template.gguf");
        TinyModelGenerator.Write(path, GgufTestFiles.Smallest with { IncludeChatTemplate = false });
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
        Assert.Null(model.ChatTemplate);
        var prompt = model.ApplyChatTemplate([new("user", "Hi")], addAssistantPrompt: false);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", prompt);
    }

    [Fact]
    public void Named_builtin_template_is_applied()
    {
        var prompt = fixture.Model.ApplyChatTemplate([new("user", "Hi")], addAssistantPrompt: true, template: "llama2");
        Assert.Contains("[INST]", prompt);
        Assert.Contains("Hi", prompt);
    }
}
