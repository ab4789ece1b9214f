using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>
/// A small SMTP server (RFC 5321: HELO/EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) on a loopback port
/// that keeps every message it accepts, parsed by MimeKit. <see cref="RefuseOnce"/> answers the first message about an
/// alert (its X-DomainPlatform-Alert-Id header) with 451 (try again later), as a busy server does.
/// </summary>
public sealed class SmtpTestServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, bool> _refuse = new();

    private SmtpTestServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<(string From, IReadOnlyList<string> To, MimeMessage Message)> Messages { get; } = new();

    public void RefuseOnce(Guid alertId) => _refuse[alertId.ToString()] = true;

    public static SmtpTestServer Start() => new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        try
        {
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 smtp.test ESMTP ready");
            string? from = null;
            var to = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "HELO" or "EHLO":
                        await writer.WriteLineAsync("250 smtp.test");
                        break;
                    case "MAIL" when line.StartsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase):
                        (from, to) = (Address(line["MAIL FROM:".Length..]), []);
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "RCPT" when from is not null && line.StartsWith("RCPT TO:", StringComparison.OrdinalIgnoreCase):
                        to.Add(Address(line["RCPT TO:".Length..]));
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA" when from is not null && to.Count > 0:
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                            data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(data.ToString())));
                        if (message.Headers["X-DomainPlatform-Alert-Id"] is { } id && _refuse.TryRemove(id, out _))
                        {
                            await writer.WriteLineAsync("451 Busy, try again later");
                        }
                        else
                        {
                            Messages.Enqueue((from, to, message));
                            await writer.WriteLineAsync("250 OK queued");
                        }
                        (from, to) = (null, []);
                        break;
                    case "RSET":
                        (from, to) = (null, []);
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 Command not implemented");
                        break;
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The client went away mid-conversation.
        }
    }

    private static string Address(string argument) => argument.Trim().Split(' ')[0].Trim('<', '>');

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
