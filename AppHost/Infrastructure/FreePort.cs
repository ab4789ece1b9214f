using System.Net;
using System.Net.Sockets;

namespace DomainPlatform.AppHost.Infrastructure;

internal static class FreePort
{
    private static readonly HashSet<int> Given = [];

    /// <summary>
    /// A port on 127.0.0.1 that nothing listens on now, from 27000-32000: below Linux's ephemeral range, so an
    /// outgoing connection cannot take it before the server binds, and clear of `./platform infra`'s ports (24369-26379)
    /// and of the <paramref name="avoidCount"/> ports from <paramref name="avoidFrom"/>.
    /// </summary>
    /// <remarks>
    /// Never the same port twice in one process: the servers bind only later, so without this memory two servers of one
    /// AppHost could be handed one port, and the one that binds second exits (an end-to-end boot once saw its Redis
    /// "Finished" and every service waiting for it).
    /// </remarks>
    public static int Pick(int avoidFrom = 0, int avoidCount = 0)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(27_000, 32_000);
            if (port >= avoidFrom && port < avoidFrom + avoidCount) continue;
            lock (Given)
            {
                if (Given.Contains(port)) continue;
            }
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                lock (Given)
                {
                    if (!Given.Add(port)) continue;
                }
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
