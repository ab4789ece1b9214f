using System.Net;
using System.Net.Sockets;

namespace DomainPlatform.AppHost.Infrastructure;

internal static class FreePort
{
    /// <summary>
    /// A port on 127.0.0.1 that nothing listens on now, from 27000-32000: below Linux's ephemeral range, so an
    /// outgoing connection cannot take it before the server binds, and clear of `./platform infra`'s ports (24369-26379)
    /// and of the <paramref name="avoidCount"/> ports from <paramref name="avoidFrom"/>.
    /// </summary>
    public static int Pick(int avoidFrom = 0, int avoidCount = 0)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(27_000, 32_000);
            if (port >= avoidFrom && port < avoidFrom + avoidCount) continue;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
        throw new InvalidOperationException("No free port between 27000 and 32000 on 127.0.0.1.");
    }
}
