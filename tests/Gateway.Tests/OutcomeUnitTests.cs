using System.Diagnostics;
using System.Text;
using DomainPlatform.Gateway.Apis;
using DomainPlatform.Gateway.Caching;
using DomainPlatform.Gateway.Outcomes;

namespace DomainPlatform.Gateway.Tests;

public sealed class OutcomeUnitTests
{
    [Theory]
    [InlineData("""{"usage":{"prompt_tokens":12,"completion_tokens":34}}""", 12, 34)]
    [InlineData("data: {\"usage\": {\"prompt_tokens\" : 1}}\n\ndata: {\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9}}\n\ndata: [DONE]", 5, 9)]
    [InlineData("""{"choices":[]}""", 0, 0)]
    [InlineData("", 0, 0)]
    [InlineData("""{"prompt_tokens":99999999999}""", 0, 0)]
    public void Usage_is_read_from_the_last_usage_in_the_body(string tail, int tokensIn, int tokensOut) =>
        Assert.Equal((tokensIn, tokensOut), UsageParser.Parse(tail));

    [Theory]
    [InlineData("""{"usage":{"prompt_tokens":12},"timings":{"queue_ms":0.5,"shared_device_ms":41.25}}""", 41.25)]
    [InlineData("data: {\"timings\":{\"shared_device_ms\":3}}\n\ndata: {\"usage\":{},\"timings\":{\"queue_ms\":0,\"shared_device_ms\":7.5e1}}\n\ndata: [DONE]", 75.0)]
    [InlineData("""{"choices":[{"text":"\"shared_device_ms\": 900"}],"usage":{}}""", null)]
    [InlineData("""{"timings":{"shared_device_ms":-3}}""", null)]
    [InlineData("""{"timings":{"shared_device_ms":"x"}}""", null)]
    [InlineData("", null)]
    public void Shared_device_time_is_read_from_the_last_timings_and_never_from_generated_text(string tail, double? expected) =>
        Assert.Equal(expected, UsageParser.SharedDeviceMs(tail));

    [Fact]
    public void Cache_keys_separate_domains_versions_paths_and_requests()
    {
        var key = ResponseCache.CacheKey("d", "1.0.0", "/v1/chat/completions", "{\"a\":1}");
        Assert.StartsWith("cache:d:1.0.0:", key);
        Assert.Equal(key, ResponseCache.CacheKey("d", "1.0.0", "/V1/Chat/Completions", "{\"a\":1}"));
        Assert.NotEqual(key, ResponseCache.CacheKey("e", "1.0.0", "/v1/chat/completions", "{\"a\":1}"));
        Assert.NotEqual(key, ResponseCache.CacheKey("d", "1.0.1", "/v1/chat/completions", "{\"a\":1}"));
        Assert.NotEqual(key, ResponseCache.CacheKey("d", "1.0.0", "/v1/completions", "{\"a\":1}"));
        Assert.NotEqual(key, ResponseCache.CacheKey("d", "1.0.0", "/v1/chat/completions", "{\"a\":2}"));
    }

    [Fact]
    public void Cache_ttl_is_per_domain_with_a_default()
    {
        var options = new CacheOptions { DefaultTtl = TimeSpan.FromMinutes(10), DomainTtl = { ["sql"] = TimeSpan.FromMinutes(1) } };
        Assert.Equal(TimeSpan.FromMinutes(1), options.TtlFor("SQL"));
        Assert.Equal(TimeSpan.FromMinutes(10), options.TtlFor("docs"));
        // The domain's own settings from deployment apply unless the operator overrides the domain here.
        Assert.Equal(TimeSpan.FromSeconds(90), options.TtlFor("docs", new(true, 90)));
        Assert.Equal(TimeSpan.Zero, options.TtlFor("docs", new(false, 90)));
        Assert.Equal(TimeSpan.FromMinutes(1), options.TtlFor("SQL", new(false, 90)));
    }

    [Fact]
    public async Task Recorder_passes_every_byte_through_and_keeps_the_whole_body_when_it_fits()
    {
        var sink = new MemoryStream();
        var recorder = new ResponseRecorder(sink, Stopwatch.GetTimestamp(), keepWholeUpTo: 100);
        Assert.Null(recorder.FirstByteMs);
        await recorder.WriteAsync(Encoding.UTF8.GetBytes("hello "), TestContext.Current.CancellationToken);
        recorder.Write(Encoding.UTF8.GetBytes("world"), 0, 5);
        Assert.Equal("hello world", Encoding.UTF8.GetString(sink.ToArray()));
        Assert.Equal("hello world", Encoding.UTF8.GetString(recorder.WholeBody!));
        Assert.NotNull(recorder.FirstByteMs);
        Assert.Equal(11, recorder.BytesWritten);
    }

    [Fact]
    public async Task Recorder_keeps_only_the_tail_of_a_long_body()
    {
        var sink = new MemoryStream();
        var recorder = new ResponseRecorder(sink, Stopwatch.GetTimestamp(), keepWholeUpTo: 0);
        for (var i = 0; i < 1000; i++) await recorder.WriteAsync(Encoding.UTF8.GetBytes($"line {i}\n"), TestContext.Current.CancellationToken);
        Assert.Null(recorder.WholeBody);
        Assert.EndsWith("line 999\n", recorder.Tail);
        Assert.True(recorder.Tail.Length <= 4096);
        Assert.Equal(sink.Length, recorder.BytesWritten);
    }

    [Theory]
    [InlineData("r1", 0.5, null, null, true)]
    [InlineData("r1", null, true, "ok", true)]
    [InlineData("r1", 0.0, false, null, true)]
    [InlineData(null, 0.5, null, null, false)]
    [InlineData("r1", null, null, null, false)]
    [InlineData("r1", -0.1, null, null, false)]
    [InlineData("r1", double.NaN, null, null, false)]
    public void Feedback_needs_a_request_id_and_a_score_in_range_or_thumbs(string? requestId, double? score, bool? thumbs, string? label, bool valid) =>
        Assert.Equal(valid, FeedbackApi.Validate(new FeedbackRequest(requestId, score, thumbs, label)).Count == 0);

    [Fact]
    public void Feedback_labels_are_bounded() =>
        Assert.Contains("label", FeedbackApi.Validate(new FeedbackRequest("r", 1, null, new string('x', 201))).Keys);
}
