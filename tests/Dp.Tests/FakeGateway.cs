using System.Net;
using System.Text;

namespace DomainPlatform.Dp.Tests;

/// <summary>A request dp sent, as the gateway would have received it.</summary>
public sealed record SentRequest(string Method, Uri Url, string? Body, string? ContentType, string? Authorization)
{
    public string PathAndQuery => Url.PathAndQuery;
}

/// <summary>
/// The gateway's HTTP API as scripted answers per "METHOD /path?query": each call takes the next answer, and the last
/// one repeats. Anything unscripted is a 404 problem, so a wrong path shows up as a failing command.
/// </summary>
public sealed class FakeGateway : HttpMessageHandler
{
    private readonly Dictionary<string, Queue<(int Status, string Body, TimeSpan? RetryAfter)>> answers = new();
    private readonly Dictionary<string, (int Status, string Body, TimeSpan? RetryAfter)> last = new();

    public List<SentRequest> Requests { get; } = [];
    public Exception? Failure { get; set; }

    public FakeGateway On(string request, int status, string body, TimeSpan? retryAfter = null)
    {
        if (!answers.TryGetValue(request, out var queue)) answers[request] = queue = new Queue<(int, string, TimeSpan?)>();
        queue.Enqueue((status, body, retryAfter));
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Failure is not null) throw Failure;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add(new SentRequest(request.Method.Method, request.RequestUri!, body, request.Content?.Headers.ContentType?.MediaType,
            request.Headers.Authorization?.ToString()));
        var key = $"{request.Method.Method} {request.RequestUri!.PathAndQuery}";
        (int Status, string Body, TimeSpan? RetryAfter) answer;
        if (answers.TryGetValue(key, out var queue) && queue.Count > 0) last[key] = answer = queue.Dequeue();
        else if (!last.TryGetValue(key, out answer)) answer = (404, $$"""{"title":"Not scripted","status":404,"detail":"{{key}}"}""", null);
        var contentType = answer.Status >= 400 ? "application/problem+json" : "application/json";
        var response = new HttpResponseMessage((HttpStatusCode)answer.Status) { Content = new StringContent(answer.Body, Encoding.UTF8, contentType) };
        if (answer.RetryAfter is { } after) response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(after);
        return response;
    }
}
