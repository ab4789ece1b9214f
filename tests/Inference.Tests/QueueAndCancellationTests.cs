using System.Net;
using System.Text;
using System.Text.Json;
using DomainPlatform.Protos.Inference;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Inference.Tests;

public sealed class QueueAndCancellationTests(SingleSlotFactory factory) : IClassFixture<SingleSlotFactory>
{
    [Fact]
    public async Task A_full_model_answers_429_with_retry_after_and_a_cancelled_stream_frees_its_slot()
    {
        var client = await factory.ReadyClientAsync();
        var ct = TestContext.Current.CancellationToken;

        // The only slot is taken by a stream that would run for thousands of tokens.
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Http.Json(new { model = InferenceFactory.ModelId, prompt = "Forever", max_tokens = 30000, ignore_eos = true, stream = true }),
        };
        var stream = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort.Token);
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(abort.Token), Encoding.UTF8);
        Assert.StartsWith("data: ", await reader.ReadLineAsync(abort.Token));

        using var refused = await client.PostAsync("/v1/completions", Http.Json(new { model = InferenceFactory.ModelId, prompt = "Me too", max_tokens = 4 }), ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());

        // The client goes away: the sequence is cancelled and its slot freed for the next request.
        await abort.CancelAsync();
        stream.Dispose();
        var grpc = factory.GrpcClient();
        await Eventually.GetAsync(async () => (await grpc.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct)).Models.Single().ActiveRequests,
            active => active == 0, "the cancelled stream to leave its slot");
        Assert.NotEmpty(await client.CompleteAsync("Me too", 4, ct));
    }
}
