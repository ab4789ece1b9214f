using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Inference.Domain;

namespace DomainPlatform.Inference.Tests;

public sealed class EmbeddingTests(InferenceFactory factory) : IClassFixture<InferenceFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    /// <summary>The width of the tiny model (TinyModels.Default keeps the generator's default).</summary>
    private static readonly int Width = new DomainPlatform.LlamaCpp.Gguf.TinyModelOptions().EmbeddingSize;

    private async Task<JsonElement> EmbedAsync(object body) =>
        await (await factory.ReadyClientAsync()).PostJsonAsync("/v1/embeddings", body, Ct);

    private static float[] Vector(JsonElement item) => item.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static double Norm(float[] vector) => Math.Sqrt(vector.Sum(v => (double)v * v));

    private async Task<JsonElement> ErrorAsync(object body, HttpStatusCode status)
    {
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsJsonAsync("/v1/embeddings", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error.Clone();
    }

    [Fact]
    public async Task A_string_gets_one_unit_length_vector_in_openais_shape_with_usage()
    {
        var result = await EmbedAsync(new { model = InferenceFactory.ModelId, input = "customer order value" });
        Assert.Equal("list", result.GetProperty("object").GetString());
        Assert.Equal(InferenceFactory.ModelId, result.GetProperty("model").GetString());
        var item = Assert.Single(result.GetProperty("data").EnumerateArray().ToList());
        Assert.Equal("embedding", item.GetProperty("object").GetString());
        Assert.Equal(0, item.GetProperty("index").GetInt32());
        var vector = Vector(item);
        Assert.Equal(Width, vector.Length);
        Assert.All(vector, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1.0, Norm(vector), 4);

        var usage = result.GetProperty("usage");
        var prompt = usage.GetProperty("prompt_tokens").GetInt32();
        Assert.True(prompt >= 2, $"prompt_tokens {prompt}");
        Assert.Equal(prompt, usage.GetProperty("total_tokens").GetInt32());
        // The gateway reads usage from the tail of the body: it is the last member.
        Assert.Equal("usage", result.EnumerateObject().Last().Name);
    }

    [Fact]
    public async Task An_array_gets_one_vector_per_input_in_order_each_as_it_gets_alone()
    {
        string[] inputs = ["hello world", "SELECT * FROM orders", "hello world", "x"];
        var together = await EmbedAsync(new { model = InferenceFactory.ModelId, input = inputs });
        var data = together.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(inputs.Length, data.Count);
        var usage = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            var alone = await EmbedAsync(new { model = InferenceFactory.ModelId, input = inputs[i] });
            usage += alone.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
            var expected = Vector(alone.GetProperty("data")[0]);
            var actual = Vector(data[i]);
            Assert.True(expected.Zip(actual).All(p => Math.Abs(p.First - p.Second) < 1e-4), $"input {i} differs in the batch");
        }
        Assert.Equal(Vector(data[0]), Vector(data[2]));
        Assert.True(Vector(data[0]).Zip(Vector(data[1])).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "different texts, same vector");
        Assert.Equal(usage, together.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Base64_decodes_to_the_same_little_endian_floats_as_the_float_encoding()
    {
        var floats = await EmbedAsync(new { model = InferenceFactory.ModelId, input = new[] { "a table of orders", "b" }, encoding_format = "float" });
        var base64 = await EmbedAsync(new { model = InferenceFactory.ModelId, input = new[] { "a table of orders", "b" }, encoding_format = "base64" });
        for (var i = 0; i < 2; i++)
        {
            var bytes = Convert.FromBase64String(base64.GetProperty("data")[i].GetProperty("embedding").GetString()!);
            var decoded = Enumerable.Range(0, bytes.Length / 4).Select(k => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(k * 4))).ToArray();
            Assert.Equal(Vector(floats.GetProperty("data")[i]), decoded);
        }
        Assert.Equal(floats.GetProperty("usage").GetRawText(), base64.GetProperty("usage").GetRawText());
    }

    [Fact]
    public async Task Token_ids_are_embedded_as_given_and_counted()
    {
        var one = await EmbedAsync(new { model = InferenceFactory.ModelId, input = new[] { 1, 5, 9, 12 } });
        Assert.Equal(4, one.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var many = await EmbedAsync(new { model = InferenceFactory.ModelId, input = new[] { new[] { 1, 5, 9, 12 }, new[] { 3 } } });
        Assert.Equal(5, many.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(Vector(one.GetProperty("data")[0]), Vector(many.GetProperty("data")[0]));
    }

    [Fact]
    public async Task Dimensions_equal_to_the_models_size_is_accepted_and_any_other_refused()
    {
        var same = await EmbedAsync(new { model = InferenceFactory.ModelId, input = "x", dimensions = Width });
        Assert.Equal(Width, Vector(same.GetProperty("data")[0]).Length);
        var error = await ErrorAsync(new { model = InferenceFactory.ModelId, input = "x", dimensions = 16 }, HttpStatusCode.BadRequest);
        Assert.Equal("dimensions", error.GetProperty("param").GetString());
        Assert.Contains($"{Width}", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{"model":"tiny","input":""}""", "input")]
    [InlineData("""{"model":"tiny","input":[]}""", "input")]
    [InlineData("""{"model":"tiny","input":["a",""]}""", "input[1]")]
    [InlineData("""{"model":"tiny","input":[[]]}""", "input[0]")]
    [InlineData("""{"model":"tiny","input":["a",[1]]}""", "input[1]")]
    [InlineData("""{"model":"tiny","input":[1,-2]}""", "input[1]")]
    [InlineData("""{"model":"tiny","input":[1,99999999]}""", "input")]
    [InlineData("""{"model":"tiny","input":{"text":"a"}}""", "input")]
    [InlineData("""{"model":"tiny"}""", "input")]
    [InlineData("""{"model":"tiny","input":"\ud800"}""", "input")]
    [InlineData("""{"model":"tiny","input":["a","b\udc00c"]}""", "input[1]")]
    [InlineData("""{"input":"a"}""", "model")]
    [InlineData("""{"model":"tiny","input":"a","encoding_format":"int8"}""", "encoding_format")]
    [InlineData("""{"model":"tiny","input":"a","dimensions":0}""", "dimensions")]
    [InlineData("""{"model":"tiny","input":"a","dimensions":true}""", "dimensions")]
    public async Task Bad_inputs_get_a_400_in_openais_shape_naming_the_field(string body, string param)
    {
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsync("/v1/embeddings", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        // The service is still serving.
        Assert.Single((await EmbedAsync(new { model = InferenceFactory.ModelId, input = "still up" })).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Control_characters_are_text_like_any_other()
    {
        // A NUL is the one refused, as in every field of the platform (OpenAiBodyRulesTests).
        var result = await EmbedAsync(new { model = InferenceFactory.ModelId, input = new[] { "a\u0007b", "\t\u0001" } });
        Assert.All(result.GetProperty("data").EnumerateArray(), item => Assert.Equal(1.0, Norm(Vector(item)), 4));
    }

    [Fact]
    public async Task An_input_too_long_for_the_context_is_context_length_exceeded()
    {
        var longText = string.Join(' ', Enumerable.Repeat("order value customer table", 400));
        var error = await ErrorAsync(new { model = InferenceFactory.ModelId, input = new[] { "short", longText } }, HttpStatusCode.BadRequest);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("input[1]", error.GetProperty("param").GetString());
        Assert.Contains("512", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unknown_model_is_model_not_found()
    {
        var error = await ErrorAsync(new { model = "text-embedding-3-small", input = "a" }, HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("text-embedding-3-small", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Embeddings_and_generation_running_together_both_get_what_they_get_alone()
    {
        var client = await factory.ReadyClientAsync();
        var text = await client.CompleteAsync("Once upon a time", 40, Ct);
        var vector = Vector((await EmbedAsync(new { model = InferenceFactory.ModelId, input = "customer order value" })).GetProperty("data")[0]);

        var completions = Enumerable.Range(0, 4).Select(_ => client.CompleteAsync("Once upon a time", 40, Ct)).ToList();
        var embeddings = Enumerable.Range(0, 8).Select(_ => EmbedAsync(new { model = InferenceFactory.ModelId, input = "customer order value" })).ToList();
        foreach (var completion in completions)
        {
            Assert.Equal(text, await completion);
        }
        foreach (var embedding in embeddings)
        {
            var batched = Vector((await embedding).GetProperty("data")[0]);
            Assert.True(vector.Zip(batched).All(p => Math.Abs(p.First - p.Second) < 1e-4), "an embedding changed beside generation");
        }
    }

    [Fact]
    public void The_base64_encoding_is_little_endian_float32()
    {
        Assert.Equal(Convert.ToBase64String([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]), EmbeddingRequestRules.ToBase64([1f, -2f]));
    }
}
