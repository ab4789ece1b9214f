using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Domain;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace DomainPlatform.Experimentation.Notifications;

/// <summary>One attempt's outcome: delivered, or why not and whether another attempt could succeed.</summary>
public readonly record struct SendResult(bool Delivered, bool Retryable, string? Error)
{
    public static SendResult Ok => new(true, false, null);
}

/// <summary>Makes one attempt to hand an alert to a channel: an HTTP POST (Slack, PagerDuty, webhook) or an e-mail over SMTP.</summary>
public sealed class AlertChannelSender : IDisposable
{
    // Its own client, not the factory's: the service defaults put a retrying resilience handler on every factory client,
    // which would hide attempts from the delivery log (the dispatcher retries and logs each one).
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Dispose() => _http.Dispose();

    public async Task<SendResult> SendAsync(AlertChannelOptions channel, AlertRaised alert, TimeSpan timeout, CancellationToken ct)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(timeout);
        try
        {
            return channel.Kind == AlertChannelKinds.Email
                ? await SendEmailAsync(channel, alert, attempt.Token)
                : await PostAsync(channel, alert, attempt.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendResult(false, true, $"No answer within {timeout.TotalSeconds:0} s.");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException)
        {
            return new SendResult(false, true, ex.Message);
        }
        catch (SmtpCommandException ex)
        {
            // 4xx is the server's "try later", 5xx a refusal that would repeat.
            return new SendResult(false, (int)ex.StatusCode < 500, $"SMTP {(int)ex.StatusCode}: {ex.Message}");
        }
        catch (AuthenticationException ex)
        {
            return new SendResult(false, false, $"SMTP authentication failed: {ex.Message}");
        }
        catch (SslHandshakeException ex)
        {
            return new SendResult(false, false, $"TLS with the SMTP server failed: {ex.Message}");
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Anything else would repeat: the log says what it was, and the other channels are served.
            return new SendResult(false, false, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private async Task<SendResult> PostAsync(AlertChannelOptions channel, AlertRaised alert, CancellationToken ct)
    {
        var url = channel.Url ?? AlertChannelOptions.PagerDutyEventsUrl;
        using var content = channel.Kind switch
        {
            AlertChannelKinds.Slack => JsonContent.Create(AlertMessages.Slack(alert)),
            AlertChannelKinds.PagerDuty => JsonContent.Create(AlertMessages.PagerDuty(alert, channel.RoutingKey!)),
            // The generic webhook gets the event itself, as a consumer of the bus would.
            _ => JsonContent.Create(alert, options: EventSerialization.Options),
        };
        using var response = await _http.PostAsync(url, content, ct);
        if (response.IsSuccessStatusCode) return SendResult.Ok;
        var body = await response.Content.ReadAsStringAsync(ct);
        var detail = body.Length > 300 ? body[..300] + "…" : body;
        return new SendResult(false, AlertDelivery.IsRetryable((int)response.StatusCode),
            $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? ": " + detail : "")}");
    }

    private static async Task<SendResult> SendEmailAsync(AlertChannelOptions channel, AlertRaised alert, CancellationToken ct)
    {
        var (subject, body) = AlertMessages.Email(alert);
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(channel.From!));
        foreach (var to in channel.To) message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Headers.Add("X-DomainPlatform-Alert-Id", alert.AlertId.ToString());
        message.Headers.Add("X-DomainPlatform-Alert-Key", AlertDelivery.DedupKey(alert));
        message.Body = new TextPart("plain") { Text = body };

        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(channel.Host!, channel.Port, channel.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.Auto,
        }, ct);
        if (channel.Username is not null) await smtp.AuthenticateAsync(channel.Username, channel.Password!, ct);
        await smtp.SendAsync(message, ct);
        await smtp.DisconnectAsync(true, ct);
        return SendResult.Ok;
    }
}
