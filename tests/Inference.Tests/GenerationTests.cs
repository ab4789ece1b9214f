using System.Diagnostics.Metrics;
using System.Net;
using DomainPlatform.Inference.Runtime;
using System.Text;
using System.Text.Json;
using DomainPlatform.Protos.Inference;
using Grpc.Core;

namespace DomainPlatform.Inference.Tests;

public sealed class GenerationTests(InferenceFactory factory) : IClassFixture<InferenceFactory>
{
    private static readonly string[] Prompts =
    [
        "The quick brown fox", "Once upon a time", "SELECT * FROM", "Hello, world", "In the beginning",
        "1 2 3 4 5", "The capital of France is", "def main():",
    ];

    [Fact]
    public async Task Greedy_generation_with_a_fixed_seed_is_reproducible()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var first = await client.CompleteAsync("Once upon a time", 32, ct, seed: 42);
        var second = await client.CompleteAsync("Once upon a time", 32, ct, seed: 42);
        Assert.NotEmpty(first);
        Assert.Equal(first, second);

        // Seeded sampling at a temperature is reproducible too: each request has its own sampler chain and seed.
        var sampled = await client.CompleteAsync("Once upon a time", 32, ct, seed: 7, temperature: 0.9f);
        Assert.Equal(sampled, await client.CompleteAsync("Once upon a time", 32, ct, seed: 7, temperature: 0.9f));
    }

    [Fact]
    public async Task Each_of_eight_concurrent_greedy_requests_gets_the_text_it_gets_alone()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var alone = new List<string>();
        foreach (var prompt in Prompts)
        {
            alone.Add(await client.CompleteAsync(prompt, 48, ct));
        }
        var occupancy = new List<double>();
        var timesToFirstToken = new List<double>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == InferenceMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            {
                var list = instrument.Name switch
                {
                    "inference.batch.occupancy" => occupancy,
                    "inference.time_to_first_token" => timesToFirstToken,
                    _ => null,
                };
                if (list is not null)
                {
                    lock (list) { list.Add(value); }
                }
            });
            listener.Start();

            var together = await Task.WhenAll(Prompts.Select(prompt => client.CompleteAsync(prompt, 48, ct)));
            for (var i = 0; i < Prompts.Length; i++)
            {
                Assert.True(alone[i] == together[i], $"Prompt '{Prompts[i]}': alone '{alone[i]}', batched '{together[i]}'");
            }
        }
        // The requests really shared decode calls (several of the 8 slots in one llama_decode), and each reported its TTFT.
        lock (occupancy) { Assert.Contains(occupancy, share => share >= 2.0 / 8); }
        lock (timesToFirstToken) { Assert.True(timesToFirstToken.Count >= Prompts.Length, $"{timesToFirstToken.Count} TTFT measurements"); }
    }

    [Fact]
    public async Task A_completion_reports_usage_and_stops_at_max_tokens()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var result = await client.PostJsonAsync("/v1/completions",
            new { model = InferenceFactory.ModelId, prompt = "Hello", max_tokens = 12, temperature = 0, ignore_eos = true }, ct);
        Assert.Equal("text_completion", result.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", result.GetProperty("id").GetString());
        Assert.Equal("length", result.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = result.GetProperty("usage");
        Assert.Equal(12, usage.GetProperty("completion_tokens").GetInt32());
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() >= 2, "BOS plus at least one prompt token");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 12, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_text_before_it_with_finish_reason_stop()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var full = await client.CompleteAsync("The quick brown fox", 64, ct);
        Assert.True(full.Length >= 12, $"the greedy text is long enough to cut: '{full}'");
        var stop = full.Substring(8, 3);
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];

        var result = await client.PostJsonAsync("/v1/completions", new
        {
            model = InferenceFactory.ModelId, prompt = "The quick brown fox", max_tokens = 64, temperature = 0, ignore_eos = true, stop = new[] { stop },
        }, ct);
        Assert.Equal(expected, result.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", result.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Chat_streams_as_server_sent_events_with_the_same_text_as_without_streaming()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        object Body(bool stream) => new
        {
            model = InferenceFactory.ModelId, messages = new[] { new { role = "user", content = "Tell me a story" } },
            max_tokens = 20, temperature = 0, ignore_eos = true, stream, stream_options = stream ? new { include_usage = true } : null,
        };

        var whole = await client.PostJsonAsync("/v1/chat/completions", Body(false), ct);
        Assert.Equal("chat.completion", whole.GetProperty("object").GetString());
        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());

        using var response = await client.PostAsync("/v1/chat/completions", Http.Json(Body(true)), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await Http.ReadEventsAsync(response, ct);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = new StringBuilder();
        foreach (var chunk in chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0))
        {
            if (chunk.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var content))
            {
                text.Append(content.GetString());
            }
        }
        Assert.Equal(message.GetProperty("content").GetString(), text.ToString());
        var finish = chunks.Single(c => c.GetProperty("choices").GetArrayLength() > 0
            && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.Equal("length", finish.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        // With include_usage the last chunk has no choices and the usage.
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(20, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(whole.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), chunks[^1].GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Grpc_generate_streams_the_same_text_as_http()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var expected = await client.CompleteAsync("In the beginning", 24, ct);
        // gRPC has no ignore_eos: compare against the same request over HTTP without it.
        var http = await client.PostJsonAsync("/v1/completions",
            new { model = InferenceFactory.ModelId, prompt = "In the beginning", max_tokens = 24, temperature = 0 }, ct);

        var call = factory.GrpcClient().Generate(new GenerateRequest { ModelId = InferenceFactory.ModelId, Prompt = "In the beginning", MaxTokens = 24, Temperature = 0 },
            cancellationToken: ct);
        var text = new StringBuilder();
        GenerateChunk? last = null;
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
        {
            text.Append(chunk.Text);
            last = chunk;
        }
        Assert.Equal(http.GetProperty("choices")[0].GetProperty("text").GetString(), text.ToString());
        Assert.Equal(http.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), last!.FinishReason);
        Assert.Equal(http.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), last.CompletionTokens);
        Assert.StartsWith(text.ToString(), expected);
    }

    [Fact]
    public async Task Grpc_generate_refuses_unknown_models_and_bad_requests()
    {
        var grpc = factory.GrpcClient();
        var ct = TestContext.Current.CancellationToken;
        await factory.ReadyClientAsync();
        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = grpc.Generate(new GenerateRequest { ModelId = "nope", Prompt = "x" }, cancellationToken: ct);
            await call.ResponseStream.MoveNext(ct);
        });
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var bad = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = grpc.Generate(new GenerateRequest { ModelId = InferenceFactory.ModelId, Prompt = "x", TopP = 3 }, cancellationToken: ct);
            await call.ResponseStream.MoveNext(ct);
        });
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("top_p", bad.Status.Detail);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"model\":", null)]
    [InlineData("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"many\"}", "max_tokens")]
    [InlineData("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[]}", "messages")]
    [InlineData("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"a\",\"temperature\":5}", "temperature")]
    [InlineData("/v1/completions", "[1,2]", null)]
    public async Task Bad_requests_get_openai_errors_and_the_service_stays_up(string path, string body, string? param)
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
        Assert.NotEmpty(await client.CompleteAsync("still up", 4, ct));
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_model_not_found()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        using var response = await client.PostAsync("/v1/completions", Http.Json(new { model = "gpt-4", prompt = "x" }), ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("gpt-4", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_prompt_longer_than_a_slot_is_refused_as_context_length_exceeded()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;
        var prompt = string.Join(' ', Enumerable.Repeat("word", 3000));
        using var response = await client.PostAsync("/v1/completions", Http.Json(new { model = InferenceFactory.ModelId, prompt }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("1024", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Models_lists_the_loaded_model_in_openai_shape()
    {
        var client = await factory.ReadyClientAsync();
        var models = JsonDocument.Parse(await client.GetStringAsync("/v1/models", TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        var tiny = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == InferenceFactory.ModelId);
        Assert.Equal("model", tiny.GetProperty("object").GetString());
    }
}
