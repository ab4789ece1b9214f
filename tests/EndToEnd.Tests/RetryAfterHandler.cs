using System.Net;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// Behaves as a well-mannered client of the gateway: a 429 is sent again after its Retry-After. The tests
/// share one admin key (a burst of 120 requests, 20 a second), and on a quiet machine they outrun it.
/// </summary>
public sealed class RetryAfterHandler() : DelegatingHandler(new HttpClientHandler())
{
    private const int MaxAttempts = 30;
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(5);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == MaxAttempts) return response;
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait < LongestWait ? wait : LongestWait, cancellationToken);
        }
    }
}
