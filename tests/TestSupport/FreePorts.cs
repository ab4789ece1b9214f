using System.Net;
using System.Net.Sockets;

namespace DomainPlatform.TestSupport;

/// <summary>Port blocks for launcher profiles started by tests.</summary>
public static class FreePorts
{
    /// <summary>
    /// A base port with the next <paramref name="count"/> ports free, away from the launcher's default 5100 and below
    /// Linux's ephemeral range (32768+), where outgoing connections could take a port between this check and the bind.
    /// </summary>
    public static int Block(int count = 20)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = 20_000 + Random.Shared.Next(0, 600) * 20;
            if (Enumerable.Range(candidate, count).All(IsFree)) return candidate;
        }
        throw new InvalidOperationException($"No free block of {count} ports found between 20000 and 32000.");
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
